package store

// Internals re-exported for the store_test package. Compiled only in tests.
var (
	AppendRecord = appendRecord
	FrameKey     = frameKey
	RootBucket   = rootBucket
	FramesBucket = framesBucket
	MetaKey      = metaKey
)
