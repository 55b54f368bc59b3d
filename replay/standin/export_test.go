package standin

// WebhookPlan returns how many times each of the first n callbacks of a
// Server with these options is sent: for tests of the webhooks.
func WebhookPlan(seed int64, loss, repeat float64, n int) []int {
	rng := newWebhookRand(seed)
	out := make([]int, n)
	for i := range out {
		out[i] = webhookCopies(rng, loss, repeat)
	}
	return out
}
