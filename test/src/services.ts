import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Where the Kafka broker and ClickHouse server of scripts/kafka.mjs and scripts/clickhouse.mjs listen, read
// from the scripts' own config (their BULWARK_*_PORT env overrides included), so a test never talks to
// some other server on a default port. Works from test/src (vitest, tsx) and test/dist (node) alike.

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface KafkaScriptConfig {
  host: string;
  port: number;
  brokers: string;
}
interface ClickHouseScriptConfig {
  host: string;
  httpPort: number;
  url: string;
}

const script = (name: string) => pathToFileURL(path.join(REPO, 'scripts', name)).href;
const kafkaModule = (await import(script('kafka.mjs'))) as { kafkaConfig(): KafkaScriptConfig };
const clickhouseModule = (await import(script('clickhouse.mjs'))) as {
  clickhouseConfig(): ClickHouseScriptConfig;
};

/** The repository root (where `scripts/` lives). */
export const REPO_ROOT = REPO;

/**
 * `host:port` of the Kafka broker the tests use: `BULWARK_KAFKA_BROKERS` (first entry) when set, else the
 * one `node scripts/kafka.mjs start` runs (`BULWARK_KAFKA_PORT`, default 9092).
 */
export function kafkaBroker(): string {
  const fromEnv = process.env.BULWARK_KAFKA_BROKERS?.split(',')[0]?.trim();
  return fromEnv || kafkaModule.kafkaConfig().brokers;
}

/** {@link kafkaBroker} split into host and port. */
export function kafkaHostPort(): { host: string; port: number } {
  const broker = kafkaBroker();
  const at = broker.lastIndexOf(':');
  return { host: broker.slice(0, at), port: Number(broker.slice(at + 1)) };
}

/**
 * Base URL of the ClickHouse server the tests use: `BULWARK_CLICKHOUSE_URL` when set, else the one
 * `node scripts/clickhouse.mjs start` runs (`BULWARK_CLICKHOUSE_HTTP_PORT`, default 8123).
 */
export function clickhouseUrl(): string {
  return process.env.BULWARK_CLICKHOUSE_URL || clickhouseModule.clickhouseConfig().url;
}
