/**
 * Certificates and certificate requests, built with @peculiar/x509 on Node's WebCrypto the way the
 * real provider builds them with Go's crypto/x509: random 128-bit serial, NotBefore = now, basic
 * constraints always present (critical), key usage critical, SANs from the request, a subject key id
 * on CA certificates, and an authority key id from the issuing CA's subject key id.
 * https://registry.terraform.io/providers/hashicorp/tls/latest/docs/resources/locally_signed_cert
 */
import * as crypto from "crypto";
import * as net from "net";
import * as x509 from "@peculiar/x509";
import { EcdsaCurve, KeyAlgorithm, ParsedPrivateKey, curveOfKey, pem } from "./keys";

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = x509.X509CertificateCreateSelfSignedParams["keys"];

/** `allowedUses` values that are X.509 key usage bits (RFC 5280 §4.2.1.3), as the real provider names them. */
export const keyUsages: Record<string, x509.KeyUsageFlags> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  content_commitment: x509.KeyUsageFlags.nonRepudiation,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  data_encipherment: x509.KeyUsageFlags.dataEncipherment,
  key_agreement: x509.KeyUsageFlags.keyAgreement,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
  encipher_only: x509.KeyUsageFlags.encipherOnly,
  decipher_only: x509.KeyUsageFlags.decipherOnly,
};

/** `allowedUses` values that are extended key usages (RFC 5280 §4.2.1.12), with their OIDs. */
export const extendedKeyUsages: Record<string, string> = {
  any_extended: "2.5.29.37.0",
  server_auth: "1.3.6.1.5.5.7.3.1",
  client_auth: "1.3.6.1.5.5.7.3.2",
  code_signing: "1.3.6.1.5.5.7.3.3",
  email_protection: "1.3.6.1.5.5.7.3.4",
  ipsec_end_system: "1.3.6.1.5.5.7.3.5",
  ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
  ipsec_user: "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  ocsp_signing: "1.3.6.1.5.5.7.3.9",
  microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
  netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
  microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
  microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

export const allowedUseNames = [...Object.keys(keyUsages), ...Object.keys(extendedKeyUsages)];

/** The `subject` block, with the attribute OIDs in the order Go's pkix.Name writes them. */
export const subjectAttributes = {
  country: "2.5.4.6",
  province: "2.5.4.8",
  locality: "2.5.4.7",
  streetAddresses: "2.5.4.9",
  postalCode: "2.5.4.17",
  organization: "2.5.4.10",
  organizationalUnit: "2.5.4.11",
  commonName: "2.5.4.3",
  serialNumber: "2.5.4.5",
  emailAddress: "1.2.840.113549.1.9.1",
} as const;
export type Subject = {
  [K in keyof typeof subjectAttributes]?: K extends "streetAddresses" ? string[] : string;
};

export interface SubjectAltNames {
  dnsNames?: string[];
  ipAddresses?: string[];
  uris?: string[];
}

export interface CertificateSpec {
  validityPeriodHours: number;
  allowedUses: string[];
  isCaCertificate: boolean;
  setSubjectKeyId: boolean;
}

export interface IssuedCertificate {
  certPem: string;
  serialDecimal: string;
  notBefore: Date;
  notAfter: Date;
}

export function buildName(subject: Subject | undefined): x509.Name {
  const rdns: Record<string, (string | { ia5String: string })[]>[] = [];
  for (const [field, oid] of Object.entries(subjectAttributes)) {
    const value = subject?.[field as keyof Subject];
    if (value === undefined || value === "") continue;
    if (field === "emailAddress") rdns.push({ [oid]: [{ ia5String: value as string }] });
    else rdns.push({ [oid]: Array.isArray(value) ? value : [value] });
  }
  return new x509.Name(rdns as x509.JsonNameParams);
}

function generalNames(altNames: SubjectAltNames): x509.JsonGeneralNames {
  return [
    ...(altNames.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(altNames.ipAddresses ?? []).map((value) => {
      if (!net.isIP(value)) throw new Error(`ipAddresses: "${value}" is not an IP address`);
      return { type: "ip" as const, value };
    }),
    ...(altNames.uris ?? []).map((value) => ({ type: "url" as const, value })),
  ];
}

function hasAltNames(altNames: SubjectAltNames): boolean {
  return generalNames(altNames).length > 0;
}

/** WebCrypto algorithm for importing and signing with a key, with Go's default hash per key. */
function webAlgorithm(algorithm: KeyAlgorithm, curve: EcdsaCurve | undefined) {
  switch (algorithm) {
    case "RSA":
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    case "ECDSA": {
      const hashByCurve: Record<EcdsaCurve, string | undefined> = {
        P224: undefined,
        P256: "SHA-256",
        P384: "SHA-384",
        P521: "SHA-512",
      };
      const hash = hashByCurve[curve!];
      if (!hash) {
        throw new Error(
          "ECDSA P224 keys can be generated but not used in certificates by this stand-in " +
            "(WebCrypto has no P-224); use P256, P384 or P521",
        );
      }
      return { name: "ECDSA", namedCurve: curve!.replace("P", "P-"), hash };
    }
    case "ED25519":
      return { name: "Ed25519" };
    default: {
      const unreachable: never = algorithm;
      throw new Error(`unsupported algorithm ${String(unreachable)}`);
    }
  }
}

async function webKeyPair(parsed: ParsedPrivateKey): Promise<KeyPair> {
  const algorithm = webAlgorithm(parsed.algorithm, parsed.curve);
  const subtle = crypto.webcrypto.subtle;
  const pkcs8 = parsed.key.export({ format: "der", type: "pkcs8" });
  const spki = crypto.createPublicKey(parsed.key).export({ format: "der", type: "spki" });
  const privateKey = await subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]);
  const publicKey = await subtle.importKey("spki", spki, algorithm, true, ["verify"]);
  return { privateKey, publicKey } as unknown as KeyPair;
}

function randomSerialHex(): string {
  const bytes = crypto.randomBytes(16);
  bytes[0] &= 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return bytes.toString("hex");
}

function usageExtensions(spec: CertificateSpec): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  const keyUsageBits = spec.allowedUses.reduce((bits, use) => bits | (keyUsages[use] ?? 0), 0);
  if (keyUsageBits !== 0) extensions.push(new x509.KeyUsagesExtension(keyUsageBits, true));
  const extended = spec.allowedUses.filter((use) => use in extendedKeyUsages);
  if (extended.length > 0) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(
        extended.map((use) => extendedKeyUsages[use]),
        false,
      ),
    );
  }
  extensions.push(new x509.BasicConstraintsExtension(spec.isCaCertificate, undefined, true));
  return extensions;
}

function toIssued(cert: x509.X509Certificate): IssuedCertificate {
  return {
    certPem: pem("CERTIFICATE", cert.rawData),
    serialDecimal: BigInt("0x" + cert.serialNumber).toString(10),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

function validityWindow(hours: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + hours * 3600 * 1000) };
}

export async function createSelfSignedCertificate(
  key: ParsedPrivateKey,
  subject: Subject | undefined,
  altNames: SubjectAltNames,
  spec: CertificateSpec & { setAuthorityKeyId: boolean },
): Promise<IssuedCertificate> {
  const keys = await webKeyPair(key);
  const name = buildName(subject);
  const extensions = usageExtensions(spec);
  const subjectKeyId = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  if (spec.isCaCertificate || spec.setSubjectKeyId) extensions.push(subjectKeyId);
  if (spec.setAuthorityKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(subjectKeyId.keyId));
  if (hasAltNames(altNames)) {
    extensions.push(new x509.SubjectAlternativeNameExtension(generalNames(altNames), name.toString() === ""));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: name,
    issuer: name,
    ...validityWindow(spec.validityPeriodHours),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    signingAlgorithm: webAlgorithm(key.algorithm, key.curve),
    extensions,
  });
  return toIssued(cert);
}

export async function createCertificateRequest(
  key: ParsedPrivateKey,
  subject: Subject | undefined,
  altNames: SubjectAltNames,
): Promise<string> {
  const keys = await webKeyPair(key);
  const name = buildName(subject);
  const extensions = hasAltNames(altNames)
    ? [new x509.SubjectAlternativeNameExtension(generalNames(altNames), name.toString() === "")]
    : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: webAlgorithm(key.algorithm, key.curve),
    extensions,
  });
  return pem("CERTIFICATE REQUEST", csr.rawData);
}

/** Signs a request with a CA: the subject, SANs and public key come from the request, as in the real one. */
export async function createLocallySignedCertificate(
  certRequestPem: string,
  caKey: ParsedPrivateKey,
  caCertPem: string,
  spec: CertificateSpec,
): Promise<IssuedCertificate> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(certRequestPem);
  } catch (err) {
    throw new Error(`certRequestPem: not a PEM certificate request (${(err as Error).message})`);
  }
  const requestKey = crypto.createPublicKey(pemOfSpki(request.publicKey.rawData));
  if (requestKey.asymmetricKeyType === "ec") webAlgorithm("ECDSA", curveOfKey(requestKey, "certRequestPem"));
  if (!(await request.verify())) throw new Error("certRequestPem: the request's signature does not verify");
  let caCert: x509.X509Certificate;
  try {
    caCert = new x509.X509Certificate(caCertPem);
  } catch (err) {
    throw new Error(`caCertPem: not a PEM certificate (${(err as Error).message})`);
  }
  const caPublicKey = crypto.createPublicKey(pemOfSpki(caCert.publicKey.rawData));
  const caKeyPublic = crypto.createPublicKey(caKey.key);
  if (
    !caPublicKey
      .export({ format: "der", type: "spki" })
      .equals(caKeyPublic.export({ format: "der", type: "spki" }))
  ) {
    throw new Error("caPrivateKeyPem: the key does not belong to the certificate in caCertPem");
  }
  const caKeys = await webKeyPair(caKey);
  const requestAltNamesExtension = request.getExtension("2.5.29.17");
  const requestAltNames =
    requestAltNamesExtension && new x509.SubjectAlternativeNameExtension(requestAltNamesExtension.rawData);
  const extensions = usageExtensions(spec);
  if (spec.isCaCertificate || spec.setSubjectKeyId) {
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(request.publicKey));
  }
  const caSubjectKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (caSubjectKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(caSubjectKeyId.keyId));
  const copiedAltNames = (requestAltNames?.names.toJSON() ?? []).filter(
    (name) => name.type === "dns" || name.type === "ip" || name.type === "url",
  );
  if (copiedAltNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(copiedAltNames, request.subject === ""));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: request.subjectName,
    issuer: caCert.subjectName,
    ...validityWindow(spec.validityPeriodHours),
    publicKey: request.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: webAlgorithm(caKey.algorithm, caKey.curve),
    extensions,
  });
  return toIssued(cert);
}

function pemOfSpki(spki: ArrayBuffer): string {
  return pem("PUBLIC KEY", spki);
}
