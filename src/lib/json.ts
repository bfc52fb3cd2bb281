// A JSON object as Portcullis keeps it (metadata, audit details): any values, checked where it enters.
export type JsonObject = Record<string, unknown>;
