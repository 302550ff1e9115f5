package crm

// Kinds of actor: who made a change that a record's history shows.
const (
	ActorManager    = "manager"    // a person, by hand (or with their own token)
	ActorToken      = "token"      // an API token that acts for no manager
	ActorAutomation = "automation" // a stage rule, named
	ActorPayment    = "payment"    // a provider's notice of a payment
	ActorImport     = "import"     // a file import
	ActorSystem     = "system"     // intake, the scheduler
)

// Actor is who made a change: a manager, a token, an automation rule, a
// payment. Name is the token's or the rule's name (for a manager, the name
// of the token they used; lists fill in the manager's own).
type Actor struct {
	Kind      string `json:"kind"`
	ManagerID *int64 `json:"manager_id,omitempty"`
	Name      string `json:"name"`
}

// ByManager is a manager acting by hand.
func ByManager(id *int64) Actor {
	if id == nil {
		return Actor{Kind: ActorSystem}
	}
	return Actor{Kind: ActorManager, ManagerID: id}
}

// kindPtr is the kind to store (nil for the zero Actor: nobody said).
func (a Actor) kindPtr() *string {
	if a.Kind == "" {
		return nil
	}
	return &a.Kind
}
