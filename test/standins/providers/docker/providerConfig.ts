/**
 * Provider configuration (`docker:host`, `docker:registryAuth`, …, or an explicit `docker.Provider`).
 * The SDK's provider server answers CheckConfig/DiffConfig with UNIMPLEMENTED (the engine then passes
 * the config through unchecked) and Configure with a fixed reply that drops the config. The stand-in
 * talks to the engine that DOCKER_HOST (or /var/run/docker.sock) names and implements no provider
 * setting, so it rejects any setting in Configure instead of ignoring it.
 */
import type * as grpcTypes from "@grpc/grpc-js";
import { createRequire } from "module";

/** Configure arguments the engine itself adds; they are not docker settings. */
const engineArguments = new Set(["version", "pluginDownloadURL"]);

interface ConfigureRequest {
  getVariablesMap(): { toObject(): [string, string][] };
  getArgs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

/** The provider settings in a Configure request (names as the user wrote them, e.g. `docker:host`). */
export function providerSettings(request: ConfigureRequest): string[] {
  const variables = request
    .getVariablesMap()
    .toObject()
    .map(([key]) => key.replace(":config:", ":"));
  const args = Object.keys(request.getArgs()?.toJavaScript() ?? {})
    .filter((key) => !engineArguments.has(key) && !key.startsWith("__"))
    .map((key) => `docker:${key}`);
  return [...new Set([...variables, ...args])];
}

/**
 * Wraps the Configure handler of the provider service the SDK registers, so that any provider setting
 * fails with a message naming it. Call before `provider.main`.
 */
export function rejectProviderSettings(): void {
  // The grpc-js instance the SDK's server uses.
  const grpc = createRequire(require.resolve("@pulumi/pulumi"))("@grpc/grpc-js") as typeof grpcTypes;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    const configure = implementation.configure as
      grpcTypes.handleUnaryCall<ConfigureRequest, unknown> | undefined;
    if (configure === undefined) {
      return addService.call(this, service, implementation);
    }
    const guarded = Object.create(implementation) as grpcTypes.UntypedServiceImplementation;
    guarded.configure = (
      call: grpcTypes.ServerUnaryCall<ConfigureRequest, unknown>,
      callback: grpcTypes.sendUnaryData<unknown>,
    ) => {
      const settings = providerSettings(call.request);
      if (settings.length > 0) {
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `the docker stand-in implements no provider settings; it uses the Docker engine at DOCKER_HOST or /var/run/docker.sock. Remove: ${settings.join(", ")}`,
        });
        return;
      }
      configure.call(implementation, call, callback);
    };
    return addService.call(this, service, guarded);
  };
}
