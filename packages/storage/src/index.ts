export { crc32 } from './crc32.js';
export { CorruptRecordError, StorageDirectoryError, StorageError, type StorageErrorCode } from './errors.js';
export { DEFAULT_SNAPSHOT_CHUNK_BYTES, LevelStorage, type LevelStorageOptions } from './level-storage.js';
export type { LogStore } from './log-store.js';
export { type Durability, MemoryStorage, type MemoryStorageOptions } from './memory-storage.js';
export type { NodeStorage, PersistUpdate, StoredNodeState } from './node-storage.js';
export type { SnapshotStore } from './snapshot-store.js';
export type { StableStore } from './stable-store.js';
export { DEFAULT_MAX_ENTRIES_PER_WRITE } from './storage-state.js';
