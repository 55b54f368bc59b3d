package replay

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/confrec/confrec/confctl"
)

// This file folds the notifications about people: ParticipantsNotify,
// WaitingListNotify, AttendeesNotify, SpeakerChangeNotify and
// InviteResultNotify.

// sortByPID sorts s by the key pid returns.
func sortByPID[T any](s []T, pid func(*T) string) {
	slices.SortFunc(s, func(a, b T) int { return strings.Compare(pid(&a), pid(&b)) })
}

// roleOf derives a role from the ROLE and IS_COHOST attributes: host
// (ROLE "1"), co-host (IS_COHOST "1"), audience (ROLE "2"), participant.
func roleOf(role, cohost string) string {
	n, _ := confctl.ParseInt(role)
	switch {
	case n == 1:
		return RoleHost
	case flag(cohost):
		return RoleCoHost
	case n == 2:
		return RoleAudience
	}
	return RoleParticipant
}

// derive sets p's fields from its attributes.
func (p *participant) derive() {
	a := p.Attrs
	p.Name = a["NAME"]
	p.Role = roleOf(a["ROLE"], a["IS_COHOST"])
	p.Muted = flag(a["MUTE"])
	p.Camera = flag(a["CAMERASTATE"])
	p.Hand = flag(a["HAND"])
	p.Sharing = flag(a["SHARE"])
	state, _ := confctl.ParseInt(a["STATE"])
	p.Calling = state == 1
	p.ClientType = a["CLIENT_LOGIN_TYPE"]
	if p.ClientType == "" {
		p.ClientType = a["CLICENT_LOGIN_TYPE"] // the tables' spelling
	}
}

// set updates the field that attribute k derives from, given its new
// value v. It reports whether the role must be derived again.
func (p *participant) set(k, v string) (role bool) {
	switch k {
	case "NAME":
		p.Name = v
	case "ROLE", "IS_COHOST":
		return true
	case "MUTE":
		p.Muted = flag(v)
	case "CAMERASTATE":
		p.Camera = flag(v)
	case "HAND":
		p.Hand = flag(v)
	case "SHARE":
		p.Sharing = flag(v)
	case "STATE":
		state, _ := confctl.ParseInt(v)
		p.Calling = state == 1
	case "CLIENT_LOGIN_TYPE", "CLICENT_LOGIN_TYPE":
		p.ClientType = p.Attrs["CLIENT_LOGIN_TYPE"]
		if p.ClientType == "" {
			p.ClientType = p.Attrs["CLICENT_LOGIN_TYPE"]
		}
	}
	return false
}

// foldParticipants folds a ParticipantsNotify. A full list is compared
// with the participants held: those missing leave, new ones join and the
// others only change attributes.
func (f *Folder) foldParticipants(dst []Event, st *stamp, items []wireItem, full bool) []Event {
	if !full {
		for i := range items {
			it := &items[i]
			if it.PID == "" {
				continue
			}
			if it.Mode == 1 {
				dst = f.removeParticipant(dst, st, it.PID)
			} else {
				dst = f.refreshParticipant(dst, st, it.PID, it.PinfoMap, false)
			}
		}
		return dst
	}
	listed := make(map[string]struct{}, len(items))
	for i := range items {
		it := &items[i]
		if it.PID == "" || it.Mode == 1 {
			continue
		}
		_, again := listed[it.PID]
		listed[it.PID] = struct{}{}
		dst = f.refreshParticipant(dst, st, it.PID, it.PinfoMap, !again)
	}
	var gone []string
	for pid := range f.parts {
		if _, ok := listed[pid]; !ok {
			gone = append(gone, pid)
		}
	}
	slices.Sort(gone)
	for _, pid := range gone {
		dst = f.removeParticipant(dst, st, pid)
	}
	return dst
}

// refreshParticipant creates participant pid or updates its attributes
// with attrs: all of them when replace is set (a full list), the keys
// given otherwise. It takes ownership of attrs.
func (f *Folder) refreshParticipant(dst []Event, st *stamp, pid string, attrs map[string]string, replace bool) []Event {
	p := f.parts[pid]
	if p == nil {
		if attrs == nil {
			attrs = map[string]string{}
		}
		p = &participant{Participant: Participant{PID: pid, Attrs: attrs}}
		f.parts[pid] = p
		p.derive()
		f.indexTel(p)
		return f.maybeJoin(dst, st, p)
	}
	old := p.Participant
	switch {
	case replace:
		if attrs == nil {
			attrs = map[string]string{}
		}
		p.Attrs = attrs
		p.derive()
	case len(attrs) > 0:
		role := false
		for k, v := range attrs {
			p.Attrs[k] = v
			role = p.set(k, v) || role
		}
		if role {
			p.Role = roleOf(p.Attrs["ROLE"], p.Attrs["IS_COHOST"])
		}
	default:
		return dst
	}
	f.indexTel(p)
	if !p.joined {
		return f.maybeJoin(dst, st, p)
	}
	return changes(dst, st, &old, &p.Participant)
}

// maybeJoin makes p join unless it is still being called.
func (f *Folder) maybeJoin(dst []Event, st *stamp, p *participant) []Event {
	if p.Calling {
		return dst
	}
	p.joined, p.Joined = true, st.t
	kind := EventJoined
	if _, ok := f.everJoined[p.PID]; ok {
		kind = EventRejoined
	}
	f.everJoined[p.PID] = struct{}{}
	return append(dst, st.personChange(kind, p.PID, p.Name, "", p.Role))
}

// changes appends the events for the attribute changes from a to b.
func changes(dst []Event, st *stamp, a, b *Participant) []Event {
	if a.Role != b.Role {
		dst = append(dst, st.personChange(EventRoleChanged, b.PID, b.Name, a.Role, b.Role))
	}
	if a.Muted != b.Muted {
		dst = append(dst, st.personEvent(pick(b.Muted, EventMuted, EventUnmuted), b.PID, b.Name))
	}
	if a.Camera != b.Camera {
		dst = append(dst, st.personEvent(pick(b.Camera, EventCameraOn, EventCameraOff), b.PID, b.Name))
	}
	if a.Hand != b.Hand {
		dst = append(dst, st.personEvent(pick(b.Hand, EventHandRaised, EventHandLowered), b.PID, b.Name))
	}
	if a.Sharing != b.Sharing {
		dst = append(dst, st.personEvent(pick(b.Sharing, EventSharingStarted, EventSharingStopped), b.PID, b.Name))
	}
	return dst
}

// removeParticipant removes pid; it leaves if it had joined.
func (f *Folder) removeParticipant(dst []Event, st *stamp, pid string) []Event {
	p := f.parts[pid]
	if p == nil {
		return dst
	}
	delete(f.parts, pid)
	if !p.joined {
		return dst
	}
	return append(dst, st.personChange(EventLeft, p.PID, p.Name, p.Role, ""))
}

// indexTel remembers p as the participant with its TEL, for invite results
// (which may arrive after p left).
func (f *Folder) indexTel(p *participant) {
	if tel := p.Attrs["TEL"]; tel != "" {
		f.tels[tel] = telEntry{pid: p.PID, name: p.Name}
	}
}

// foldWaiting folds a WaitingListNotify, as foldParticipants does.
func (f *Folder) foldWaiting(dst []Event, st *stamp, items []wireItem, full bool) []Event {
	var listed map[string]struct{}
	if full {
		listed = make(map[string]struct{}, len(items))
	}
	for i := range items {
		it := &items[i]
		if it.PID == "" || (full && it.Mode == 1) {
			continue
		}
		if it.Mode == 1 {
			dst = f.removeWaiting(dst, st, it.PID)
			continue
		}
		replace := full
		if full {
			_, again := listed[it.PID]
			listed[it.PID] = struct{}{}
			replace = !again
		}
		w := f.waiting[it.PID]
		if w == nil {
			w = &Waiting{PID: it.PID, Attrs: it.PinfoMap}
			if w.Attrs == nil {
				w.Attrs = map[string]string{}
			}
			w.Name = w.Attrs["NAME"]
			f.waiting[it.PID] = w
			dst = append(dst, st.personEvent(EventWaitingJoined, w.PID, w.Name))
			continue
		}
		if replace {
			w.Attrs = it.PinfoMap
			if w.Attrs == nil {
				w.Attrs = map[string]string{}
			}
		} else {
			for k, v := range it.PinfoMap {
				w.Attrs[k] = v
			}
		}
		w.Name = w.Attrs["NAME"]
	}
	if full {
		var gone []string
		for pid := range f.waiting {
			if _, ok := listed[pid]; !ok {
				gone = append(gone, pid)
			}
		}
		slices.Sort(gone)
		for _, pid := range gone {
			dst = f.removeWaiting(dst, st, pid)
		}
	}
	return dst
}

func (f *Folder) removeWaiting(dst []Event, st *stamp, pid string) []Event {
	w := f.waiting[pid]
	if w == nil {
		return dst
	}
	delete(f.waiting, pid)
	return append(dst, st.personEvent(EventWaitingLeft, w.PID, w.Name))
}

// foldAttendees folds an AttendeesNotify. Attendees are keyed by userUUID,
// or participantID when there is none; a refresh sets the fields given.
func (f *Folder) foldAttendees(items []wireItem, full bool) {
	if full {
		f.attendees = f.attendees[:0]
	}
	for i := range items {
		it := &items[i]
		key, byUUID := it.UserUUID, true
		if key == "" {
			key, byUUID = it.ParticipantID, false
		}
		if key == "" {
			continue
		}
		at := -1
		for j := range f.attendees {
			a := &f.attendees[j]
			if (byUUID && a.UserUUID == key) || (!byUUID && a.UserUUID == "" && a.ParticipantID == key) {
				at = j
				break
			}
		}
		if it.Mode == 1 {
			if at >= 0 && !full {
				f.attendees = slices.Delete(f.attendees, at, at+1)
			}
			continue
		}
		if at < 0 {
			f.attendees = append(f.attendees, Attendee{})
			at = len(f.attendees) - 1
		}
		a := &f.attendees[at]
		if it.UserUUID != "" {
			a.UserUUID = it.UserUUID
		}
		if it.ParticipantID != "" {
			a.ParticipantID = it.ParticipantID
		}
		if it.Name != "" {
			a.Name = it.Name
		}
		if it.Type != "" {
			a.Type = it.Type
		}
		if it.Role != nil {
			if n, _ := lenientInt(it.Role); n == 1 {
				a.Role = RoleHost
			} else {
				a.Role = RoleParticipant
			}
		}
	}
}

// foldSpeakers folds a SpeakerChangeNotify, always the full list of the
// loudest speakers (none when data is absent): speakers missing from it
// stop, new ones start.
func (f *Folder) foldSpeakers(dst []Event, st *stamp, items []wireItem) []Event {
	next := f.spare[:0]
	for i := range items {
		it := &items[i]
		if it.PID == "" || slices.ContainsFunc(next, func(s Speaker) bool { return s.PID == it.PID }) {
			continue
		}
		name := it.Name
		if name == "" {
			if p := f.parts[it.PID]; p != nil {
				name = p.Name
			}
		}
		next = append(next, Speaker{PID: it.PID, Name: name, Volume: it.SpeakingVolume})
	}
	sort.SliceStable(next, func(i, j int) bool { return next[i].Volume > next[j].Volume })
	for _, s := range f.speakers {
		if !slices.ContainsFunc(next, func(n Speaker) bool { return n.PID == s.PID }) {
			dst = append(dst, st.personChange(EventSpeakerStopped, s.PID, s.Name, strconv.Itoa(s.Volume), ""))
		}
	}
	for _, s := range next {
		if !slices.ContainsFunc(f.speakers, func(o Speaker) bool { return o.PID == s.PID }) {
			dst = append(dst, st.personChange(EventSpeakerStarted, s.PID, s.Name, "", strconv.Itoa(s.Volume)))
		}
	}
	f.spare, f.speakers = f.speakers, next
	return dst
}

// foldInvites folds an InviteResultNotify: each result is appended to the
// invites and yields an EventInviteResult. A full list restates results:
// those already held are not repeated.
func (f *Folder) foldInvites(dst []Event, st *stamp, items []wireItem, full bool) []Event {
	for i := range items {
		it := &items[i]
		code := it.ResultCode
		if code == "" {
			code = it.ErrorCode
		}
		if it.CallNumber == "" && code == "" {
			continue
		}
		if full && slices.ContainsFunc(f.invites, func(r InviteResult) bool {
			return r.CallNumber == it.CallNumber && r.Code == code
		}) {
			continue
		}
		r := InviteResult{Time: st.t, CallNumber: it.CallNumber, Code: code, Meaning: InviteResultMeaning(code)}
		if e, ok := f.tels[it.CallNumber]; ok && it.CallNumber != "" {
			r.PID, r.Name = e.pid, e.name
		}
		f.invites = append(f.invites, r)
		ev := st.personChange(EventInviteResult, r.PID, r.Name, "", code)
		ev.Detail, ev.CallNumber = r.Meaning, r.CallNumber
		dst = append(dst, ev)
	}
	return dst
}
