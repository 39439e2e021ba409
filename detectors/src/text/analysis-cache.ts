import { fastHash53 } from './fast-hash.js';
import { analysisBytes, analyzeText, type TextAnalysis, type TrustClass } from './text-analysis.js';
import { analyzeValue, type ValueAnalysis, valueAnalysisBytes } from './value-analysis.js';

/** Bounds of the analysis cache. */
export interface AnalysisCacheLimits {
  /** Entries held; the least recently used is evicted beyond it. */
  maxEntries: number;
  /** Approximate heap bytes held (texts, values, fingerprints); the least recently used go first beyond it. */
  maxBytes: number;
  /** Longer texts are analysed every time and not kept (one of them would push out hundreds of others). */
  maxTextChars: number;
}

export const DEFAULT_ANALYSIS_CACHE_LIMITS: AnalysisCacheLimits = {
  maxEntries: 16_384,
  maxBytes: 32 * 1024 * 1024,
  maxTextChars: 256 * 1024,
};

/** Counters for `/metrics`. */
export interface AnalysisCacheStats {
  hits: number;
  misses: number;
  /** Texts analysed without caching (longer than `maxTextChars`); counted in `misses` too. */
  uncached: number;
  evictions: number;
  entries: number;
  bytes: number;
}

/** An argument value's analysis is kept under its own class. */
type EntryClass = TrustClass | 'argument';

interface Entry {
  text: string;
  trust: EntryClass;
  analysis: TextAnalysis | ValueAnalysis;
  bytes: number;
  /** Hit since it last reached the front of the eviction order (CLOCK: a second chance instead of a move per hit). */
  used: boolean;
}

const SEED: Record<EntryClass, number> = {
  trusted: 0x1b873593,
  'model-output': 0x2c1b3c6d,
  untrusted: 0x297a2d39,
  'untrusted-input': 0x3c6ef372,
  argument: 0x5bd1e995,
};

/**
 * Content-addressed cache of text analyses, keyed by a fast hash of (text, trust class). Tool results,
 * prompts and system prompts repeat across sessions and tenants; each distinct text is analysed once. A hit
 * is confirmed by comparing the text itself, so a crafted hash collision cannot hand an injected text the
 * analysis of a benign one. Entries hold no session data (see `TextAnalysis`) and are never mutated, so one
 * cache may be shared by every session, tenant and engine in the process. Bounded by entries and bytes, least
 * recently used first (CLOCK approximation).
 *
 * @example
 * const cache = new AnalysisCache();
 * cache.analyze(toolResultText, 'untrusted-input').injection?.level;
 */
export class AnalysisCache {
  private readonly limits: AnalysisCacheLimits;
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private uncached = 0;
  private evictions = 0;

  constructor(limits: Partial<AnalysisCacheLimits> = {}) {
    this.limits = { ...DEFAULT_ANALYSIS_CACHE_LIMITS, ...limits };
  }

  /** The analysis of `text` for `trust`, from the cache or computed and kept. */
  analyze(text: string, trust: TrustClass): TextAnalysis {
    return this.lookup(text, trust, analyzeText, analysisBytes);
  }

  /** The analysis of one tool call argument value (see `analyzeCall`), from the cache or computed and kept. */
  analyzeValue(value: string): ValueAnalysis {
    return this.lookup(value, 'argument', analyzeValue, valueAnalysisBytes);
  }

  private lookup<C extends EntryClass, A extends TextAnalysis | ValueAnalysis>(
    text: string,
    trust: C,
    compute: (text: string, trust: C) => A,
    bytesOf: (a: A) => number,
  ): A {
    if (text.length > this.limits.maxTextChars) {
      this.misses++;
      this.uncached++;
      return compute(text, trust);
    }
    const key = fastHash53(text, SEED[trust]);
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.trust === trust && hit.text === text) {
      this.hits++;
      hit.used = true;
      return hit.analysis as A;
    }
    this.misses++;
    const analysis = compute(text, trust);
    if (hit !== undefined) this.remove(key, hit);
    const entry: Entry = { text, trust, analysis, bytes: 2 * text.length + bytesOf(analysis), used: false };
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    this.evict();
    return analysis;
  }

  stats(): AnalysisCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      uncached: this.uncached,
      evictions: this.evictions,
      entries: this.entries.size,
      bytes: this.bytes,
    };
  }

  /** Drops every entry (the counters are kept). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /**
   * Approximate LRU (CLOCK): Map order is insertion order; an entry hit since it was (re)inserted goes to the
   * back once more instead of out, so hits cost a flag, not a Map move.
   */
  private evict(): void {
    let spared = 0;
    while (this.entries.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) {
      const oldest = this.entries.entries().next().value;
      if (!oldest) break;
      const [key, entry] = oldest;
      // Every entry spared once already: the rest of the order is as fresh as it gets, evict plainly.
      if (entry.used && spared < this.entries.size) {
        entry.used = false;
        this.entries.delete(key);
        this.entries.set(key, entry);
        spared++;
        continue;
      }
      this.remove(key, entry);
      this.evictions++;
    }
  }

  private remove(key: number, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
