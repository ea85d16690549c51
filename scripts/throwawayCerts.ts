/**
 * Throwaway ECDSA P-256 CAs and certificates made with openssl in a scratch folder, for the security
 * drills and tests: a CA the lab does not know, and certificates a client should be refused with.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A CA: `<dir>/<name>.pem` and `<dir>/<name>.key`. */
export function makeCa(dir: string, name: string): void {
  openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  // prettier-ignore
  openssl(
    dir, "req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-days", "1", "-out", `${name}.pem`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  );
}

/**
 * A certificate signed by CA `ca` (`<dir>/<ca>.pem` and `.key`) with the given openssl extensions:
 * `<dir>/<leaf>.crt` and `.key`. `days` 0 makes one that expires the second it is made.
 */
export function makeLeaf(dir: string, ca: string, leaf: string, extensions: string, days = 1): void {
  openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${leaf}.key`);
  openssl(dir, "req", "-new", "-key", `${leaf}.key`, "-subj", `/CN=${leaf}`, "-out", `${leaf}.csr`);
  fs.writeFileSync(path.join(dir, `${leaf}.ext`), extensions);
  // prettier-ignore
  openssl(
    dir, "x509", "-req", "-in", `${leaf}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-days", String(days), "-out", `${leaf}.crt`, "-extfile", `${leaf}.ext`,
  );
}
