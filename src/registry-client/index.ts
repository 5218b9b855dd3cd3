/** registry-client: references, auth, manifests, platform choice, verified blob streams. */
export { Digest } from './digest.ts';
export { parseReference, usesDefaultTag, Reference, DOCKER_HUB, DOCKER_HUB_API } from './reference.ts';
export { parsePlatform, formatPlatform, normalizePlatform, platformMatches, isWasiPlatform, isWasmPlatform, DEFAULT_PLATFORM, WASI_PLATFORM, type Platform } from './platform.ts';
export { MediaType, MANIFEST_ACCEPT, WasmMediaType, layerKind, isWasmLayer, isWasmConfig, type Compression, type LayerKind } from './media-types.ts';
export { parseManifest, selectPlatform, indexPlatforms, type Descriptor, type ImageManifest, type ImageIndex } from './manifest.ts';
export { parseImageConfig, parseWasmArtifactConfig, type ImageConfig, type ContainerConfig, type HistoryEntry } from './image-config.ts';
export { RegistryClient, type RegistryClientOptions, type ResolvedImage, type ResolvedManifest, type OpenBlobOptions } from './client.ts';
export { Transport, isInsecure, type TransportOptions, type Endpoint } from './transport.ts';
export { parseChallenges, TokenCache, basicAuth, type Credentials, type CredentialLookup } from './auth.ts';
export { sha256, sha256Hasher, verifier, type Hasher, type HasherFactory, type Expected } from './verify.ts';
export type { BlobProgress } from './blob-stream.ts';
export { Pusher, DEFAULT_CHUNK_SIZE, type PushBlob, type BlobPushOptions, type BlobPushResult } from './push.ts';
