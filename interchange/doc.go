// Package interchange owns the file formats confrec shares with other
// tools and with itself: the HAR document a browser captures and `confrec
// export har` writes, and the frame record, one per line, that `confrec
// export frames` writes and `confrec import jsonl` and `confrec
// verify-export` read. Writers and readers use these types, so a member renamed
// here changes both sides at once, and a test on either side sees it.
//
// # Basics
//
// FrameRecord is one frame with its derived members (action, msg_id,
// size, close code and reason). NewFrameRecord describes a store.Frame;
// FrameRecord.Frame turns a decoded record back into the frame the store's
// hash chain covers. TimeLayout is the layout of its times and
// MaxFrameRecordLine bounds the length of a JSON Lines line.
//
// HAR and the HAR* types are an HTTP Archive 1.2 document as Chrome
// DevTools writes it, reduced to what a WebSocket session needs.
// HARWSMessage is one WebSocket message; EpochTime is its time, seconds
// since the Unix epoch to the microsecond. export.WriteHAR writes a HAR,
// importer.HAR reads one.
//
// # Caveats
//
// The package holds formats, not I/O: it reads no file and no store.
// FrameRecord.Frame checks only the members the hash chain covers; a
// reader that trusts the derived members (the importer checks size) checks
// them itself. Its errors wrap no sentinel, so that each reader wraps them
// with its own (importer.ErrFormat, seal.ErrExportFormat).
//
// A HAR keeps message times to the microsecond and its data as a JSON
// string: a frame record is the exact copy, a HAR is not.
//
// ExampleFrameRecord_Frame shows a record's round trip.
package interchange
