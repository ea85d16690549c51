// The lab as `pulumi up` runs it: read the stack config once, build the lab, export its outputs.
import { readLabConfig } from "./components/config";
import { buildLab } from "./components/lab";

export = buildLab(readLabConfig());
