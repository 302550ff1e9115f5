-- The inbox and the leads change all day: vacuum them early, so the
-- pending-inbox index and the open-lead indexes stay small and claims stay
-- fast between the default (20%) vacuums.
ALTER TABLE inbox SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                       autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE leads SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE activities SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE lead_identities SET (autovacuum_vacuum_scale_factor = 0.02);
