/**
 * The lab's private CA and the certificates it issues. Private keys are Pulumi secrets from creation on:
 * the tls provider stores them encrypted, and everything derived from them (container uploads, stack
 * outputs) stays secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { assertNever } from "./assertNever";
import { projectName } from "./constants";
import type { KeyAlgorithm, LabConfig } from "./settings";

export interface PkiArgs {
  /** Names the CA in its subject, e.g. `vector-ha-lab-dev CA`. */
  caName: string;
  /** Generation of the CA that signs every certificate (settings.ts `caGeneration`). */
  generation: number;
  /** A second CA generation in every trust bundle while a rotation rolls; 0 for none. */
  alsoTrusted: number;
  /** Key algorithm of the CA and every certificate. */
  keyAlgorithm: KeyAlgorithm;
  /** Validity of the CA and every certificate, in hours. */
  validityHours: number;
  /** `up` renews a certificate once it is this close to expiry, in hours. */
  earlyRenewalHours: number;
}

/** What a container needs to prove who it is. `privateKeyPem` is secret. */
export interface IssuedCertificate {
  /** The certificate, PEM (public). */
  certPem: pulumi.Output<string>;
  /** Its private key, PEM: a secret. */
  privateKeyPem: pulumi.Output<string>;
}

export interface CertificateRequest {
  /** Pulumi name prefix of the key, request and certificate resources. */
  name: string;
  /** The subject's common name (a container name). */
  commonName: string;
  /** Subject alternative names: DNS names the certificate is valid for. */
  dnsNames?: string[];
  /** Subject alternative names: IP addresses the certificate is valid for. */
  ipAddresses?: string[];
  /** Which component the resources belong to in the graph (default: the PKI). */
  parent?: pulumi.Resource;
}

/** Key parameters per algorithm: ECDSA P-256 is small and fast; RSA 2048 for tools that want RSA. */
function keyParameters(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
  switch (algorithm) {
    case "ECDSA":
      return { algorithm: "ECDSA", ecdsaCurve: "P256" };
    case "RSA":
      return { algorithm: "RSA", rsaBits: 2048 };
    default:
      return assertNever(algorithm);
  }
}

/**
 * Resource name of a generation's object: generation 1 keeps the name the lab always used, so stacks
 * made before rotation existed keep their CA and certificates; later ones carry `-g<N>`.
 */
export function generationName(base: string, generation: number): string {
  return generation === 1 ? base : `${base}-g${generation}`;
}

interface CertificateAuthority {
  key: tls.PrivateKey;
  cert: tls.SelfSignedCert;
}

export class Pki extends pulumi.ComponentResource {
  /**
   * What every container trusts: the signing CA's certificate, followed during a rotation by the other
   * generation's, so old and new certificates both verify while containers roll. Public; exported.
   */
  readonly caCertPem: pulumi.Output<string>;
  private readonly signingCa: CertificateAuthority;

  constructor(
    name: string,
    private readonly args: PkiArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("vector-ha-lab:index:Pki", name, {}, opts);
    this.signingCa = this.declareCa(name, args.generation);
    const trusted = [this.signingCa];
    if (args.alsoTrusted !== 0) trusted.push(this.declareCa(name, args.alsoTrusted));
    this.caCertPem = pulumi.all(trusted.map((ca) => ca.cert.certPem)).apply((pems) => pems.join(""));
    this.registerOutputs({ caCertPem: this.caCertPem });
  }

  private declareCa(name: string, generation: number): CertificateAuthority {
    const base = generationName(`${name}-ca`, generation);
    const key = new tls.PrivateKey(`${base}-key`, keyParameters(this.args.keyAlgorithm), { parent: this });
    const cert = new tls.SelfSignedCert(
      base,
      {
        privateKeyPem: key.privateKeyPem,
        // Each generation its own subject, so a trust bundle of two tells them apart.
        subject: {
          commonName: generation === 1 ? this.args.caName : `${this.args.caName} ${generation}`,
          organization: projectName,
        },
        isCaCertificate: true,
        validityPeriodHours: this.args.validityHours,
        earlyRenewalHours: this.args.earlyRenewalHours,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    return { key, cert };
  }

  /** A certificate an aggregator presents to agents (and that agents check against the name they dialled). */
  issueServerCertificate(request: CertificateRequest): IssuedCertificate {
    return this.issue(request, ["digital_signature", "key_encipherment", "server_auth"]);
  }

  /** A certificate an agent presents to aggregators, which require one (mutual TLS). */
  issueClientCertificate(request: CertificateRequest): IssuedCertificate {
    return this.issue(request, ["digital_signature", "key_encipherment", "client_auth"]);
  }

  private issue(request: CertificateRequest, allowedUses: string[]): IssuedCertificate {
    const parent = request.parent ?? this;
    // A new CA generation issues new keys too: a rotation replaces every secret, not only signatures.
    const base = generationName(request.name, this.args.generation);
    const key = new tls.PrivateKey(`${base}-key`, keyParameters(this.args.keyAlgorithm), { parent });
    const csr = new tls.CertRequest(
      `${base}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: request.commonName, organization: projectName },
        dnsNames: request.dnsNames ?? [],
        ipAddresses: request.ipAddresses ?? [],
      },
      { parent },
    );
    const cert = new tls.LocallySignedCert(
      `${base}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: this.signingCa.key.privateKeyPem,
        caCertPem: this.signingCa.cert.certPem,
        validityPeriodHours: this.args.validityHours,
        earlyRenewalHours: this.args.earlyRenewalHours,
        allowedUses,
      },
      { parent },
    );
    return { certPem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
  }
}

/** The lab's PKI as the stack config sets it: the same CA and certificate settings on every target. */
export function labPki(config: LabConfig, prefix: string): Pki {
  return new Pki("pki", {
    caName: `${prefix} CA`,
    generation: config.caGeneration,
    alsoTrusted: config.caAlsoTrusted,
    keyAlgorithm: config.keyAlgorithm,
    validityHours: config.certValidityHours,
    earlyRenewalHours: config.certEarlyRenewalHours,
  });
}
