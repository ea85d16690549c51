/**
 * The table of what this stand-in implements: type token → input fields (kind, default, whether a
 * change updates in place) and the function that creates the resource. Every input not listed here
 * is rejected by `check`, naming it. Names, defaults and replace-or-update follow
 * pulumi-resource-tls 5.6.1 (see docs/facts.md, "The docker and tls providers").
 */
import * as crypto from "crypto";
import {
  CertificateSpec,
  IssuedCertificate,
  Subject,
  SubjectAltNames,
  allowedUseNames,
  createCertificateRequest,
  createLocallySignedCertificate,
  createSelfSignedCertificate,
  subjectAttributes,
} from "./certificates";
import {
  EcdsaCurve,
  KeyAlgorithm,
  ecdsaCurves,
  generatePrivateKey,
  keyAlgorithms,
  keyMaterial,
  parsePrivateKeyPem,
} from "./keys";
import { Kind, PropertyMap, boolean, integer, listOf, objectOf, oneOf, secret, text } from "./properties";

export interface Field {
  kind: Kind;
  required?: true;
  /** Filled in by `check` when the program leaves the field out, as the real provider's schema does. */
  default?: unknown;
  /** A change updates in place; a change to any other field replaces the resource. */
  updatable?: true;
}

export interface ResourceType {
  inputs: Record<string, Field>;
  /** Has `validityEndTime`/`earlyRenewalHours`: replaced once `readyForRenewal` would be true. */
  renewable: boolean;
  /** Inputs are known, revealed and defaulted. Returns the id and the computed outputs only. */
  create(inputs: PropertyMap): Promise<{ id: string; outs: PropertyMap }>;
}

const subject: Kind = objectOf(
  Object.fromEntries(
    Object.keys(subjectAttributes).map((field) => [field, field === "streetAddresses" ? listOf(text) : text]),
  ),
);

const altNameFields = {
  dnsNames: { kind: listOf(text) },
  ipAddresses: { kind: listOf(text) },
  uris: { kind: listOf(text) },
} satisfies Record<string, Field>;

const validityFields = {
  validityPeriodHours: { kind: integer(0), required: true },
  earlyRenewalHours: { kind: integer(0), default: 0, updatable: true },
  allowedUses: { kind: listOf(oneOf(allowedUseNames)), required: true },
  isCaCertificate: { kind: boolean, default: false },
  setSubjectKeyId: { kind: boolean, default: false },
} satisfies Record<string, Field>;

export const resourceTypes: Record<string, ResourceType> = {
  "tls:index/privateKey:PrivateKey": {
    inputs: {
      algorithm: { kind: oneOf(keyAlgorithms), required: true },
      rsaBits: { kind: integer(1024), default: 2048 },
      ecdsaCurve: { kind: oneOf(ecdsaCurves), default: "P224" },
    },
    renewable: false,
    async create(inputs) {
      const material = keyMaterial(
        generatePrivateKey({
          algorithm: inputs.algorithm as KeyAlgorithm,
          rsaBits: inputs.rsaBits as number,
          ecdsaCurve: inputs.ecdsaCurve as EcdsaCurve,
        }),
      );
      return {
        id: sha1Hex(material.publicKeyPem),
        outs: {
          ...material,
          privateKeyPem: secret(material.privateKeyPem),
          privateKeyPemPkcs8: secret(material.privateKeyPemPkcs8),
          privateKeyOpenssh: secret(material.privateKeyOpenssh),
        },
      };
    },
  },

  "tls:index/selfSignedCert:SelfSignedCert": {
    inputs: {
      privateKeyPem: { kind: text, required: true },
      subject: { kind: subject },
      ...altNameFields,
      ...validityFields,
      setAuthorityKeyId: { kind: boolean, default: false },
    },
    renewable: true,
    async create(inputs) {
      const key = parsePrivateKeyPem(inputs.privateKeyPem as string, "privateKeyPem");
      const issued = await createSelfSignedCertificate(
        key,
        inputs.subject as Subject | undefined,
        altNamesOf(inputs),
        { ...certificateSpecOf(inputs), setAuthorityKeyId: inputs.setAuthorityKeyId as boolean },
      );
      return { id: issued.serialDecimal, outs: { ...issuedOutputs(issued), keyAlgorithm: key.algorithm } };
    },
  },

  "tls:index/certRequest:CertRequest": {
    inputs: {
      privateKeyPem: { kind: text, required: true },
      subject: { kind: subject },
      ...altNameFields,
    },
    renewable: false,
    async create(inputs) {
      const key = parsePrivateKeyPem(inputs.privateKeyPem as string, "privateKeyPem");
      const certRequestPem = await createCertificateRequest(
        key,
        inputs.subject as Subject | undefined,
        altNamesOf(inputs),
      );
      return { id: sha1Hex(certRequestPem), outs: { certRequestPem, keyAlgorithm: key.algorithm } };
    },
  },

  "tls:index/locallySignedCert:LocallySignedCert": {
    inputs: {
      certRequestPem: { kind: text, required: true },
      caPrivateKeyPem: { kind: text, required: true },
      caCertPem: { kind: text, required: true },
      ...validityFields,
    },
    renewable: true,
    async create(inputs) {
      const caKey = parsePrivateKeyPem(inputs.caPrivateKeyPem as string, "caPrivateKeyPem");
      const issued = await createLocallySignedCertificate(
        inputs.certRequestPem as string,
        caKey,
        inputs.caCertPem as string,
        certificateSpecOf(inputs),
      );
      return {
        id: issued.serialDecimal,
        outs: { ...issuedOutputs(issued), caKeyAlgorithm: caKey.algorithm },
      };
    },
  },
};

/** Whether a certificate is expired or inside its early renewal window (the real `readyForRenewal`). */
export function readyForRenewal(
  validityEndTime: string,
  earlyRenewalHours: number,
  now = new Date(),
): boolean {
  return now.getTime() >= Date.parse(validityEndTime) - earlyRenewalHours * 3600 * 1000;
}

function certificateSpecOf(inputs: PropertyMap): CertificateSpec {
  return {
    validityPeriodHours: inputs.validityPeriodHours as number,
    allowedUses: inputs.allowedUses as string[],
    isCaCertificate: inputs.isCaCertificate as boolean,
    setSubjectKeyId: inputs.setSubjectKeyId as boolean,
  };
}

function altNamesOf(inputs: PropertyMap): SubjectAltNames {
  return {
    dnsNames: inputs.dnsNames as string[] | undefined,
    ipAddresses: inputs.ipAddresses as string[] | undefined,
    uris: inputs.uris as string[] | undefined,
  };
}

/** Times as Go's `time.RFC3339` writes them: whole seconds, "Z". */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function issuedOutputs(issued: IssuedCertificate): PropertyMap {
  return {
    certPem: issued.certPem,
    validityStartTime: rfc3339(issued.notBefore),
    validityEndTime: rfc3339(issued.notAfter),
    readyForRenewal: false,
  };
}

function sha1Hex(value: string): string {
  return crypto.createHash("sha1").update(value).digest("hex");
}
