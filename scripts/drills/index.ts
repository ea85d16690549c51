/** Every drill, in the order `npm run lab -- drill --list` shows them. */
import type { Drill } from "./drill";
import { faultDrills } from "./faults";
import { bufferFullDrill } from "./bufferFull";
import { interruptedUpDrill } from "./interruptedUp";
import { certificateDrills } from "./certificates";
import { securityDrills } from "./security";

export const drills: Drill[] = [
  ...faultDrills,
  interruptedUpDrill,
  ...certificateDrills,
  bufferFullDrill,
  ...securityDrills,
];

export function findDrill(name: string): Drill {
  const drill = drills.find((d) => d.name === name);
  if (!drill) {
    throw new Error(
      `no drill named ${JSON.stringify(name)}; allowed: ${drills.map((d) => d.name).join(", ")}`,
    );
  }
  return drill;
}
