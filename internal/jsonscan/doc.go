// Package jsonscan holds the primitives of confrec's fast JSON paths: a
// Scanner that walks a JSON text byte by byte, checking its syntax as it
// goes, and hands back the bytes of the values its caller wants.
//
// # Basics
//
// A Scanner is a JSON text (B) and an offset into it (I). Its methods each
// read one piece at I (white space, a key, a string, a number, a literal,
// or a whole value to skip) and advance I past it, reporting false when
// the piece is not valid JSON or is something the Scanner refuses to
// interpret. Callers build the members they know on top of these: the
// confctl package reads a frame's action and msgID with it (Peek), the
// replay package the members its fold needs (decodeFrame).
//
// The Scanner validates as it scans: every byte it steps over, including
// those of skipped values, is checked against the JSON grammar, so a text
// it reads to the end is valid JSON. It never allocates: the values it
// returns are subslices of B.
//
// # Caveats
//
// The Scanner is deliberately narrow. Strings with escapes or invalid
// UTF-8, keys that are not ASCII (Key), integers that do not fit an int64
// (Integer) and nesting deeper than MaxDepth are refused rather than
// interpreted, because encoding/json's reading of them (unescaping,
// replacing invalid UTF-8, case-insensitive key matching, its own limits)
// is not worth copying. A caller that gets false must not guess: it falls
// back to encoding/json, which defines the result, and the fast path only
// ever agrees with it (the callers' fuzz targets check this).
//
// Returned slices alias B: the caller must not modify them and must copy
// what it keeps beyond B's lifetime.
package jsonscan
