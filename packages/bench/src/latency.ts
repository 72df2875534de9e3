// Latency recording with HdrHistogram: microsecond resolution, bounded memory whatever the run length.
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class LatencyRecorder {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(milliseconds: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(milliseconds * 1000)));
  }

  summary(): LatencySummary {
    const toMs = (microseconds: number) => Math.round(microseconds / 10) / 100;
    // Percentiles are reported as the top of their bucket, which can lie above the exact maximum.
    const maxMicroseconds = this.histogram.maxValue;
    const atPercentile = (percentile: number) =>
      toMs(Math.min(this.histogram.getValueAtPercentile(percentile), maxMicroseconds));
    return {
      count: this.histogram.totalCount,
      p50Ms: atPercentile(50),
      p99Ms: atPercentile(99),
      maxMs: toMs(maxMicroseconds),
    };
  }
}
