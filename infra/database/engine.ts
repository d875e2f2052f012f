/**
 * The RDS engine's major version, in a module of its own (no Pulumi imports) so `npm run upgrade`
 * can read it: the instance is created at this major with `allowMajorVersionUpgrade: false`, so an
 * RDS stack always runs it.
 */
/** The engine's major version: GitLab 19 requires PostgreSQL 17. */
export const ENGINE_MAJOR_VERSION = "17";
