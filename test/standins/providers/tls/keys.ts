/**
 * Private keys: generation and the encodings `tls.PrivateKey` outputs, computed with Node's crypto.
 * The PEM flavours follow the real provider (Go's crypto/x509 and x/crypto/ssh): RSA as PKCS#1
 * "RSA PRIVATE KEY", ECDSA as SEC1 "EC PRIVATE KEY", ED25519 as PKCS#8 "PRIVATE KEY".
 * https://registry.terraform.io/providers/hashicorp/tls/latest/docs/resources/private_key
 */
import * as crypto from "crypto";

export const keyAlgorithms = ["RSA", "ECDSA", "ED25519"] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

export const ecdsaCurves = ["P224", "P256", "P384", "P521"] as const;
export type EcdsaCurve = (typeof ecdsaCurves)[number];

/** OpenSSL's name of each curve, and the name OpenSSH uses (P224 has none: no SSH encoding). */
const curveNames: Record<EcdsaCurve, { openssl: string; ssh?: string }> = {
  P224: { openssl: "secp224r1" },
  P256: { openssl: "prime256v1", ssh: "nistp256" },
  P384: { openssl: "secp384r1", ssh: "nistp384" },
  P521: { openssl: "secp521r1", ssh: "nistp521" },
};

export interface KeySpec {
  algorithm: KeyAlgorithm;
  rsaBits: number;
  ecdsaCurve: EcdsaCurve;
}

/** Every output of `tls.PrivateKey` that depends on the key itself. */
export interface KeyMaterial {
  privateKeyPem: string;
  privateKeyPemPkcs8: string;
  privateKeyOpenssh: string;
  publicKeyPem: string;
  publicKeyOpenssh: string;
  publicKeyFingerprintMd5: string;
  publicKeyFingerprintSha256: string;
}

export function generatePrivateKey(spec: KeySpec): crypto.KeyObject {
  switch (spec.algorithm) {
    case "RSA":
      return crypto.generateKeyPairSync("rsa", { modulusLength: spec.rsaBits, publicExponent: 65537 })
        .privateKey;
    case "ECDSA":
      return crypto.generateKeyPairSync("ec", { namedCurve: curveNames[spec.ecdsaCurve].openssl }).privateKey;
    case "ED25519":
      return crypto.generateKeyPairSync("ed25519").privateKey;
    default: {
      const unreachable: never = spec.algorithm;
      throw new Error(`unsupported algorithm ${String(unreachable)}`);
    }
  }
}

/** What a PEM private key is, as the real provider names it in `keyAlgorithm` outputs. */
export interface ParsedPrivateKey {
  key: crypto.KeyObject;
  algorithm: KeyAlgorithm;
  /** Set for ECDSA keys. */
  curve?: EcdsaCurve;
}

/** Parses a private key in any PEM flavour the real provider accepts (PKCS#1, SEC1, PKCS#8). */
export function parsePrivateKeyPem(pem: string, field: string): ParsedPrivateKey {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new Error(`${field}: not a PEM private key (${(err as Error).message})`);
  }
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { key, algorithm: "RSA" };
    case "ec":
      return { key, algorithm: "ECDSA", curve: curveOfKey(key, field) };
    case "ed25519":
      return { key, algorithm: "ED25519" };
    default:
      throw new Error(
        `${field}: key type ${key.asymmetricKeyType} is not supported (RSA, ECDSA, ED25519 are)`,
      );
  }
}

/** The curve of an EC key object (private or public). */
export function curveOfKey(key: crypto.KeyObject, field: string): EcdsaCurve {
  const opensslName = key.asymmetricKeyDetails?.namedCurve;
  const curve = ecdsaCurves.find((c) => curveNames[c].openssl === opensslName);
  if (!curve) {
    throw new Error(`${field}: ECDSA curve ${opensslName} is not supported (P224, P256, P384, P521 are)`);
  }
  return curve;
}

export function keyMaterial(privateKey: crypto.KeyObject): KeyMaterial {
  const parsed = parsePrivateKeyPem(
    privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    "privateKey",
  );
  const publicKey = crypto.createPublicKey(privateKey);
  const privateKeyPem = privateKeyPemOf(parsed);
  const ssh = sshEncodings(parsed);
  return {
    privateKeyPem,
    privateKeyPemPkcs8: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    privateKeyOpenssh: ssh?.privateKeyOpenssh ?? "",
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    publicKeyOpenssh: ssh ? `${ssh.publicKeyType} ${ssh.publicKeyBlob.toString("base64")}\n` : "",
    publicKeyFingerprintMd5: ssh ? md5Fingerprint(ssh.publicKeyBlob) : "",
    publicKeyFingerprintSha256: ssh ? sha256Fingerprint(ssh.publicKeyBlob) : "",
  };
}

function privateKeyPemOf(parsed: ParsedPrivateKey): string {
  switch (parsed.algorithm) {
    case "RSA":
      return parsed.key.export({ format: "pem", type: "pkcs1" }).toString();
    case "ECDSA":
      return parsed.key.export({ format: "pem", type: "sec1" }).toString();
    case "ED25519":
      return parsed.key.export({ format: "pem", type: "pkcs8" }).toString();
    default: {
      const unreachable: never = parsed.algorithm;
      throw new Error(`unsupported algorithm ${String(unreachable)}`);
    }
  }
}

/** Same form as Go's `ssh.FingerprintLegacyMD5`: hex pairs joined by colons. */
function md5Fingerprint(blob: Buffer): string {
  const hex = crypto.createHash("md5").update(blob).digest("hex");
  return hex.match(/../g)!.join(":");
}

/** Same form as Go's `ssh.FingerprintSHA256`: "SHA256:" and unpadded base64. */
function sha256Fingerprint(blob: Buffer): string {
  return "SHA256:" + crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
}

// --- OpenSSH wire format (RFC 4251 §5, RFC 5656, RFC 8709, OpenSSH PROTOCOL.key) ---

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function sshUint32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value);
  return buf;
}

/** An unsigned big-endian integer as an SSH mpint: minimal, with a 0 byte if the top bit is set. */
function sshMpint(unsignedBigEndian: Buffer): Buffer {
  let start = 0;
  while (start < unsignedBigEndian.length && unsignedBigEndian[start] === 0) start++;
  let body = unsignedBigEndian.subarray(start);
  if (body.length > 0 && (body[0] & 0x80) !== 0) body = Buffer.concat([Buffer.from([0]), body]);
  return sshString(body);
}

function fromBase64Url(value: string | undefined): Buffer {
  if (value === undefined) throw new Error("key component missing from JWK export");
  return Buffer.from(value, "base64url");
}

interface SshEncodings {
  publicKeyType: string;
  publicKeyBlob: Buffer;
  privateKeyOpenssh: string;
}

/** OpenSSH encodings of a key; undefined for ECDSA P224, which SSH cannot express (as the real one). */
function sshEncodings(parsed: ParsedPrivateKey): SshEncodings | undefined {
  if (parsed.algorithm === "ECDSA" && !curveNames[parsed.curve!].ssh) return undefined;
  const jwk = parsed.key.export({ format: "jwk" });
  let publicKeyType: string;
  let publicKeyBlob: Buffer;
  let privateFields: Buffer;
  switch (parsed.algorithm) {
    case "RSA": {
      publicKeyType = "ssh-rsa";
      const n = sshMpint(fromBase64Url(jwk.n));
      const e = sshMpint(fromBase64Url(jwk.e));
      publicKeyBlob = Buffer.concat([sshString(publicKeyType), e, n]);
      privateFields = Buffer.concat([
        sshString(publicKeyType),
        n,
        e,
        sshMpint(fromBase64Url(jwk.d)),
        sshMpint(fromBase64Url(jwk.qi)),
        sshMpint(fromBase64Url(jwk.p)),
        sshMpint(fromBase64Url(jwk.q)),
      ]);
      break;
    }
    case "ECDSA": {
      const sshCurve = curveNames[parsed.curve!].ssh!;
      publicKeyType = `ecdsa-sha2-${sshCurve}`;
      const point = Buffer.concat([Buffer.from([4]), fromBase64Url(jwk.x), fromBase64Url(jwk.y)]);
      publicKeyBlob = Buffer.concat([sshString(publicKeyType), sshString(sshCurve), sshString(point)]);
      privateFields = Buffer.concat([
        sshString(publicKeyType),
        sshString(sshCurve),
        sshString(point),
        sshMpint(fromBase64Url(jwk.d)),
      ]);
      break;
    }
    case "ED25519": {
      publicKeyType = "ssh-ed25519";
      const publicBytes = fromBase64Url(jwk.x);
      publicKeyBlob = Buffer.concat([sshString(publicKeyType), sshString(publicBytes)]);
      privateFields = Buffer.concat([
        sshString(publicKeyType),
        sshString(publicBytes),
        sshString(Buffer.concat([fromBase64Url(jwk.d), publicBytes])),
      ]);
      break;
    }
    default: {
      const unreachable: never = parsed.algorithm;
      throw new Error(`unsupported algorithm ${String(unreachable)}`);
    }
  }
  const check = crypto.randomBytes(4);
  let privateSection = Buffer.concat([check, check, privateFields, sshString("")]);
  const padding: number[] = [];
  for (let i = 1; (privateSection.length + padding.length) % 8 !== 0; i++) padding.push(i);
  privateSection = Buffer.concat([privateSection, Buffer.from(padding)]);
  const body = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    sshUint32(1),
    sshString(publicKeyBlob),
    sshString(privateSection),
  ]);
  return { publicKeyType, publicKeyBlob, privateKeyOpenssh: pem("OPENSSH PRIVATE KEY", body) };
}

/** PEM armour as Go's encoding/pem writes it: 64-column base64 and a trailing newline. */
export function pem(label: string, der: Buffer | ArrayBuffer): string {
  const base64 = Buffer.from(der as ArrayBuffer).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
