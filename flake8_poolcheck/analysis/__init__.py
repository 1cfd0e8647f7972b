"""What the code means: the semantic model the engine keeps current during the walk
(values, scopes and bindings, function facts), the catalog of pools and their methods,
and the readings of task functions that several rules share. Rules ask; nothing here
reports."""
