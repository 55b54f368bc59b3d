package replay

// InviteResultMeaning says in words what an InviteResultNotify code means:
// "0" is a call that succeeded, the documented leave reasons are named,
// and any other code is a failed call ("call failed (code N)"); an
// empty code is "no result code".
func InviteResultMeaning(code string) string {
	switch code {
	case "0":
		return "call succeeded"
	case "11111001":
		return "MCU received no media (network)"
	case "11111002":
		return "the site sent no media (network or client fault)"
	case "11111003":
		return "SIP signalling timeout"
	case "11111004":
		return "WebSocket timeout"
	case "11076002":
		return "hung up by the host from a soft client"
	case "11076010":
		return "the site hung up / left by itself"
	case "11076016":
		return "hung up by the Portal"
	case "":
		return "no result code"
	}
	return "call failed (code " + code + ")"
}
