// The lab as `pulumi up` runs it: validate the stack config and the host, build the lab, export its outputs.
import { labProgram } from "./components/labProgram";

export = labProgram();
