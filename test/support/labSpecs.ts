/** A lab agent's spec as the program renders it for the `dev` stack, for tests of rendered configs. */
import { containerTlsFiles, type AgentVectorSpec } from "../../components/vectorConfig";

export const devAgentSpec: AgentVectorSpec = {
  balancerHost: "vector-ha-lab-dev-balancer",
  vectorPort: 19093,
  remoteWritePort: 19094,
  tls: containerTlsFiles,
};
