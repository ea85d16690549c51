/**
 * Runs the lab program under Pulumi's mocks (no engine, no Docker) and records every resource it
 * declares, with its inputs as the engine would receive them (secrets still marked as secrets).
 * Fake outputs are given only where the program reads them (keys, certificates, image ids).
 */
import * as pulumi from "@pulumi/pulumi";
import { projectName } from "../../components/constants";

export interface DeclaredResource {
  type: string;
  name: string;
  /** Inputs as sent to the engine; secret values are the SDK's secret wrappers (see wireValues.ts). */
  inputs: Record<string, unknown>;
}

export interface MockRun<T> {
  resources: DeclaredResource[];
  /** The program's return value with every output resolved; secret outputs listed in `secretOutputs`. */
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  result: T;
}

function fakeOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: `mock-private-key-pem:${name}`, publicKeyPem: `mock-public-key-pem:${name}` };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { certPem: `mock-ca-cert-pem:${name}` };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: `mock-csr-pem:${name}` };
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: `mock-cert-pem:${name}` };
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:mock-${inputs.name}` };
    default:
      return {};
  }
}

/**
 * Runs `program` under mocks as stack `stack` with the given raw stack config (keys without the
 * project prefix), waits until every resource has been registered, and returns what was declared.
 */
export async function runUnderMocks<T>(
  program: () => T,
  options: { stack?: string; config?: Record<string, string> } = {},
): Promise<MockRun<T>> {
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, ...fakeOutputs(args.type, args.name, args.inputs) },
        };
      },
      call: (args) => {
        throw new Error(`the lab calls no provider functions, but called ${args.token}`);
      },
    },
    projectName,
    options.stack ?? "dev",
    false,
  );
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) config[`${projectName}:${key}`] = value;
  pulumi.runtime.setAllConfig(config);

  const result = program();
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  if (typeof result === "object" && result !== null) {
    for (const [key, value] of Object.entries(result)) {
      const output = pulumi.output(value);
      outputs[key] = await promiseOf(output);
      if (await pulumi.isSecret(output)) secretOutputs.push(key);
    }
  }
  // The SDK's public way to wait until every registration has reached the (mock) monitor; the next
  // run's setMocks connects a new one.
  await pulumi.runtime.disconnect();
  return { resources, outputs, secretOutputs, result };
}

/** Resolves an output in a test (outputs have no public `then`). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value as T)));
}
