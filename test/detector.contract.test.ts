import { DetectionEngine } from '@bulwark/detectors';
import { detectorContractSuite } from './src/detector-contract-suite.js';

// Every detector the engine runs by default goes through the same contract.
for (const d of DetectionEngine.builtinDetectors()) {
  detectorContractSuite(d.id, () => DetectionEngine.builtinDetectors().find((x) => x.id === d.id)!);
}
