-- Owners keep their clients (issue 16): a returning customer's lead given
-- to their own manager runs the owner's SLA (routing.owner_sla, in working
-- hours); when it runs out a supervisor is told ("notify"), and the lead
-- moves on only where the rule says so ("reassign").
ALTER TABLE leads ADD COLUMN owner_sla text CHECK (owner_sla IN ('notify', 'reassign'));
