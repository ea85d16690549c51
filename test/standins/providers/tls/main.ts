/**
 * Entry point of the stand-in `pulumi-resource-tls` plugin (a test double for pulumi-resource-tls
 * 5.6.1, see README.md). It reports the plugin version the installed `@pulumi/tls` asks for, so the
 * engine takes it for that plugin and never tries to download the real one.
 */
import * as provider from "@pulumi/pulumi/provider";
import { TlsStandinProvider } from "./provider";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tlsSdkPackage = require("@pulumi/tls/package.json") as { pulumi: { version: string } };

provider.main(new TlsStandinProvider(tlsSdkPackage.pulumi.version), process.argv.slice(2));
