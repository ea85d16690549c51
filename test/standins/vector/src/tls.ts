/**
 * TLS material and settings from a component's `tls` block. Like Vector, `ca_file`, `crt_file` and
 * `key_file` take either a file path or the PEM text itself (inline). Files are read once at start; a
 * missing or unreadable file stops the stand-in with the option's name.
 */
import * as fs from "fs";
import * as net from "net";
import * as tls from "tls";
import { ConfigError, type TlsOptions } from "./config";

export interface TlsMaterial {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Inline PEM text is recognised by its armour line, as Vector does. */
function readPem(value: string | undefined, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes("-----BEGIN ")) return value;
  try {
    return fs.readFileSync(value, "utf8");
  } catch (error) {
    throw new ConfigError([`${path}: cannot read ${value}: ${(error as Error).message}`]);
  }
}

export function loadTlsMaterial(options: TlsOptions, path: string): TlsMaterial {
  return {
    ca: readPem(options.ca_file, `${path}.ca_file`),
    cert: readPem(options.crt_file, `${path}.crt_file`),
    key: readPem(options.key_file, `${path}.key_file`),
  };
}

/**
 * Server side: present crt/key; with `verify_certificate`, demand a client certificate signed by
 * `ca_file` and refuse the handshake otherwise (no certificate, another CA, or no TLS at all).
 */
export function serverTlsOptions(options: TlsOptions, path: string): tls.TlsOptions {
  const material = loadTlsMaterial(options, path);
  const verify = options.verify_certificate === true;
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    requestCert: verify,
    rejectUnauthorized: verify,
    minVersion: "TLSv1.2",
  };
}

/**
 * Client side: present crt/key (mutual TLS); check the server's certificate against `ca_file` unless
 * `verify_certificate: false`, and the host name dialled unless `verify_hostname: false`.
 */
export function clientTlsOptions(options: TlsOptions, host: string, path: string): tls.ConnectionOptions {
  const material = loadTlsMaterial(options, path);
  const verifyCertificate = options.verify_certificate !== false;
  const verifyHostname = options.verify_hostname !== false;
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    // SNI carries names only, never IP addresses.
    servername: net.isIP(host) ? undefined : host,
    rejectUnauthorized: verifyCertificate,
    checkServerIdentity: verifyHostname ? tls.checkServerIdentity : () => undefined,
    minVersion: "TLSv1.2",
  };
}

/** The common name of the peer's certificate on a TLS socket, when it sent one. */
export function peerCommonName(socket: unknown): string | undefined {
  if (!(socket instanceof tls.TLSSocket)) return undefined;
  const subject = socket.getPeerCertificate()?.subject as { CN?: string | string[] } | undefined;
  const cn = subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}
