/** Entry point of the stand-in `pulumi-resource-docker` plugin (see README.md beside it). */
import * as provider from "@pulumi/pulumi/provider";
import { DockerStandinProvider } from "./provider";
import { rejectProviderSettings } from "./providerConfig";

rejectProviderSettings();
provider.main(new DockerStandinProvider(), process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
