package confctl

// Marker is marker, for the external tests.
var Marker = marker
