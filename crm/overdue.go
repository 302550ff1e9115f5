package crm

import "time"

// One definition of "overdue" and "due today" for open activities. An
// activity is overdue once its due time and its grace have passed (a
// missed call's call-back has a grace, followup.missed_call_grace;
// migration 081); until then it is due today. The counters, the
// department's counters, the morning digest, the list of a manager's
// activities and the workload report all count with these conditions, so
// a figure in one place is the figure in every other. now and end are SQL
// expressions (parameters such as "$2"); the columns are the activity's,
// unqualified.

//
// Grace is never negative (a check on activities), so each condition is
// also written in terms of due_at alone, which an index can range over:
// an overdue activity was due before now; one due today is due from now
// on, or before now with a grace not yet over.

// overdueCond is an open activity that is overdue at now.
func overdueCond(now string) string {
	return "(done_at IS NULL AND due_at < " + now + " AND due_at + grace < " + now + ")"
}

// dueTodayCond is an open activity due before end (the end of the
// viewer's day) and not yet overdue at now.
func dueTodayCond(now, end string) string {
	return "(done_at IS NULL AND ((due_at >= " + now + " AND due_at < " + end + ") OR (grace > '0' AND due_at < " + now +
		" AND due_at + grace >= " + now + " AND due_at < " + end + ")))"
}

// Overdue says whether the activity is open and overdue at now, by the
// same rule as overdueCond.
func (a Activity) Overdue(now time.Time) bool {
	return a.DoneAt == nil && a.OverdueAt.Before(now)
}
