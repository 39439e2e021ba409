// `@bulwark/stream/testing`: the contract suites of the stream interfaces, beside them, for any
// implementation (ours and yours), and an in-memory EventStore. The suites register vitest tests (they import
// `vitest`, which the caller runs them with); the production entry `@bulwark/stream` never loads this file.
export type { AlertSinkHarness } from './alert-sink-contract.js';
export { contractAlert, describeAlertSinkContract } from './alert-sink-contract.js';
export type { EventBusHarness } from './event-bus-contract.js';
export { describeEventBusContract } from './event-bus-contract.js';
export type { ContractStoreOptions, EventStoreContractTarget } from './event-store-contract.js';
export { describeEventStoreContract, rows, sampleSession } from './event-store-contract.js';
export type { MemoryEventStoreOptions } from './memory-event-store.js';
export { MemoryEventStore } from './memory-event-store.js';
export type { SqlDriverHarness } from './sql-driver-contract.js';
export { describeSqlDriverContract } from './sql-driver-contract.js';
export { waitFor } from './wait-for.js';
