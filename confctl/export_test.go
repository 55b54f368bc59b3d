package confctl

// Marker is marker, for the external tests.
var Marker = marker

// DecodeOnlinePage is decodeOnlinePage, for FuzzOnlineMeetingsPage.
var DecodeOnlinePage = decodeOnlinePage
