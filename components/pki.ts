/**
 * The lab's private CA and the certificates it issues. Private keys are Pulumi secrets from creation on:
 * the tls provider stores them encrypted, and everything derived from them (container uploads, stack
 * outputs) stays secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { assertNever } from "./assertNever";
import { projectName } from "./constants";
import type { KeyAlgorithm } from "./settings";

export interface PkiArgs {
  /** Names the CA in its subject, e.g. `vector-ha-lab-dev CA`. */
  caName: string;
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

export class Pki extends pulumi.ComponentResource {
  /** The CA certificate: public, given to every container and exported. */
  readonly caCertPem: pulumi.Output<string>;
  private readonly caKey: tls.PrivateKey;
  private readonly caCert: tls.SelfSignedCert;

  constructor(
    name: string,
    private readonly args: PkiArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("vector-ha-lab:index:Pki", name, {}, opts);
    this.caKey = new tls.PrivateKey(`${name}-ca-key`, keyParameters(args.keyAlgorithm), { parent: this });
    this.caCert = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: this.caKey.privateKeyPem,
        subject: { commonName: args.caName, organization: projectName },
        isCaCertificate: true,
        validityPeriodHours: args.validityHours,
        earlyRenewalHours: args.earlyRenewalHours,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      },
      { parent: this },
    );
    this.caCertPem = this.caCert.certPem;
    this.registerOutputs({ caCertPem: this.caCertPem });
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
    const key = new tls.PrivateKey(`${request.name}-key`, keyParameters(this.args.keyAlgorithm), { parent });
    const csr = new tls.CertRequest(
      `${request.name}-csr`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: request.commonName, organization: projectName },
        dnsNames: request.dnsNames ?? [],
        ipAddresses: request.ipAddresses ?? [],
      },
      { parent },
    );
    const cert = new tls.LocallySignedCert(
      `${request.name}-cert`,
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: this.caKey.privateKeyPem,
        caCertPem: this.caCert.certPem,
        validityPeriodHours: this.args.validityHours,
        earlyRenewalHours: this.args.earlyRenewalHours,
        allowedUses,
      },
      { parent },
    );
    return { certPem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
  }
}
