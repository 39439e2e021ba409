export { DetectionEngine, aggregate } from './detection-engine.js';
export type { DetectionEngineOptions, EngineResult, IngestResult } from './detection-engine.js';
export type { Detector, DetectorContext, DetectorOutcome } from './detector.js';
export { EngineVerdictProvider } from './engine-verdict-provider.js';
export { DetectorsError, PolicyError } from './errors.js';
