"""The natural-history registry (PRO-ACT) in the database: patients, ALSFRS rows, FVC, imports."""
