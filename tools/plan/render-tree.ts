/**
 * The plan as a person reads it: a tree of resources by parent, with a few key properties each.
 */
import type { Plan, PlannedResource } from "./run-plan";

const MAX_PROPERTIES = 4;
const MAX_VALUE_LENGTH = 60;

export function renderTree(plan: Plan, summary: string): string {
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const r of plan.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const lines: string[] = [
    `Plan for ${plan.project}/${plan.stack} (${summary}): ${plan.resources.length} resources to create`,
  ];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const r of children.get(parent) ?? []) {
      const props = keyProperties(r.inputs);
      const kept = destroyMarks(r);
      lines.push(
        `${"  ".repeat(depth)}+ ${r.type}  ${r.name}${props ? `  (${props})` : ""}${kept ? `  [${kept}]` : ""}`,
      );
      if (r.name !== parent) walk(r.name, depth + 1);
    }
  };
  walk(undefined, 1);
  const outputs = Object.entries(plan.outputs);
  if (outputs.length > 0) {
    lines.push("Outputs:");
    for (const [k, v] of outputs) lines.push(`    ${k}: ${shorten(JSON.stringify(v) ?? "undefined", 100)}`);
  }
  const files = Object.keys(plan.files);
  if (files.length > 0) lines.push(`Rendered files: ${files.join(", ")}`);
  return lines.join("\n");
}

/** What `pulumi destroy` does differently with this resource: kept, refused, or gone with another. */
function destroyMarks(r: PlannedResource): string {
  const o = r.options;
  if (o === undefined) return "";
  return [
    ...(o.retainOnDelete ? ["retainOnDelete"] : []),
    ...(o.protect ? ["protect"] : []),
    ...(o.deletedWith === null ? [] : [`deletedWith ${o.deletedWith}`]),
  ].join(", ");
}

/** The first few short scalar inputs: enough to recognise a resource, not a dump. */
function keyProperties(inputs: Record<string, unknown>): string {
  const picked: string[] = [];
  for (const [k, v] of Object.entries(inputs)) {
    if (picked.length === MAX_PROPERTIES) break;
    if (k === "tags" || k === "tagsAll" || k.startsWith("__")) continue;
    if (typeof v === "string" && v.length <= MAX_VALUE_LENGTH && !v.includes("\n")) picked.push(`${k}=${v}`);
    else if (typeof v === "number" || typeof v === "boolean") picked.push(`${k}=${v}`);
  }
  return picked.join(", ");
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
