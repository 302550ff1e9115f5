package crm

import (
	"fmt"
	"slices"
)

// Reason is why a lead is junk (or a deal is lost): a key the API and the
// records use, and a label people read.
type Reason struct {
	Key   string `json:"key" yaml:"key"`
	Label string `json:"label" yaml:"label"`
}

// DefaultJunkReasons are the junk reasons of a configuration that names
// none. spam, duplicate and unreachable are always there: the honeypot,
// merging leads and the call cadence close leads with them.
var DefaultJunkReasons = []Reason{
	{"spam", "Спам"}, {"test", "Тест"}, {"job_seeker", "Соискатель"}, {"duplicate", "Дубль"},
	{"unreachable", "Не дозвонились"}, {"other", "Другое"},
}

// requiredJunk are the reasons Leadd itself closes leads with.
var requiredJunk = []string{"spam", "duplicate", "unreachable"}

// ValidateReasons returns the problems of a junk reason list, each naming
// its key, and fills empty labels with the key.
func ValidateReasons(prefix string, rs []Reason) []error {
	var errs []error
	seen := map[string]bool{}
	for i := range rs {
		r := &rs[i]
		if !keyRe.MatchString(r.Key) {
			errs = append(errs, fmt.Errorf("%s[%d].key: must be lower-case letters, digits and _, not %q", prefix, i, r.Key))
		} else if len(r.Key) > 40 {
			// A Telegram button carries it, in 64 bytes with the lead's number.
			errs = append(errs, fmt.Errorf("%s[%d].key: must be at most 40 characters, not %d", prefix, i, len(r.Key)))
		} else if seen[r.Key] {
			errs = append(errs, fmt.Errorf("%s[%d].key: %q is listed twice", prefix, i, r.Key))
		}
		seen[r.Key] = true
		if r.Label == "" {
			r.Label = r.Key
		}
	}
	for _, k := range requiredJunk {
		if !seen[k] {
			errs = append(errs, fmt.Errorf("%s: must have %q (Leadd closes leads with it)", prefix, k))
		}
	}
	return errs
}

// SetJunkReasons makes rs the reasons leads may be closed as junk with;
// it is safe while requests run (SIGHUP reloads it).
func (s *Store) SetJunkReasons(rs []Reason) {
	c := slices.Clone(rs)
	s.junk.Store(&c)
}

// JunkReasons are the reasons a lead may be closed as junk with.
func (s *Store) JunkReasons() []Reason {
	if p := s.junk.Load(); p != nil {
		return *p
	}
	return DefaultJunkReasons
}

func reasonKeys(rs []Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}
