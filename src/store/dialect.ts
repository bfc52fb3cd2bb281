// The SQL dialects the store speaks, for the few statements and migrations that differ between them.
export type Dialect = 'sqlite' | 'postgres';
