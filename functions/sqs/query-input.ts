/**
 * The Query protocol's form parameters as the JSON 1.0 input of the same action, so every action
 * reads one shape. Query flattens lists and maps into numbered keys (botocore's sqs model):
 *
 *   Attribute.1.Name=VisibilityTimeout & Attribute.1.Value=60        →  Attributes: {VisibilityTimeout: "60"}
 *   MessageAttribute.1.Name=n & MessageAttribute.1.Value.DataType=…   →  MessageAttributes: {n: {DataType, …}}
 *   Tag.1.Key=k & Tag.1.Value=v                                       →  Tags: {k: v}
 *   AttributeName.1=All                                               →  AttributeNames: ["All"]
 *   SendMessageBatchRequestEntry.1.Id=a & ….MessageBody=…             →  Entries: [{Id, MessageBody}]
 *
 * Scalars stay strings; the actions read numbers and booleans from either protocol's form.
 */

type Tree = { [key: string]: Tree | string };

function treeOf(params: URLSearchParams): Tree {
  const root: Tree = Object.create(null);
  for (const [key, value] of params) {
    const path = key.split('.');
    let node = root;
    for (const [i, segment] of path.entries()) {
      if (i === path.length - 1) {
        node[segment] = value;
      } else {
        const next = node[segment];
        if (typeof next === 'object') node = next;
        else node = node[segment] = Object.create(null) as Tree;
      }
    }
  }
  return root;
}

/** `{1: a, 2: b}` in index order; anything else (a scalar where a list belongs) as one element. */
function listOf(node: Tree | string | undefined): (Tree | string)[] {
  if (node === undefined) return [];
  if (typeof node === 'string') return [node];
  return Object.keys(node)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => node[key] as Tree | string);
}

const text = (node: Tree | string | undefined): string | undefined =>
  typeof node === 'string' ? node : undefined;

function mapOf(
  node: Tree | string | undefined,
  keyName: string,
  readValue: (value: Tree | string | undefined) => unknown,
) {
  const map: Record<string, unknown> = {};
  for (const entry of listOf(node)) {
    if (typeof entry !== 'object') continue;
    const key = text(entry[keyName]);
    if (key !== undefined) map[key] = readValue(entry.Value);
  }
  return map;
}

function typedValue(node: Tree | string | undefined) {
  if (typeof node !== 'object') return {};
  const value: Record<string, string> = {};
  for (const field of ['DataType', 'StringValue', 'BinaryValue']) {
    const got = text(node[field]);
    if (got !== undefined) value[field] = got;
  }
  return value;
}

const MAPS: Record<
  string,
  { names: string[]; key: string; value: (node: Tree | string | undefined) => unknown }
> = {
  Attributes: { names: ['Attribute', 'Attributes'], key: 'Name', value: text },
  MessageAttributes: { names: ['MessageAttribute', 'MessageAttributes'], key: 'Name', value: typedValue },
  MessageSystemAttributes: {
    names: ['MessageSystemAttribute', 'MessageSystemAttributes'],
    key: 'Name',
    value: typedValue,
  },
  Tags: { names: ['Tag', 'Tags'], key: 'Key', value: text },
};

const LISTS: Record<string, string[]> = {
  AttributeNames: ['AttributeName', 'AttributeNames'],
  MessageAttributeNames: ['MessageAttributeName', 'MessageAttributeNames'],
  MessageSystemAttributeNames: ['MessageSystemAttributeName', 'MessageSystemAttributeNames'],
  TagKeys: ['TagKey', 'TagKeys'],
};

const ENTRY_LISTS = [
  'SendMessageBatchRequestEntry',
  'DeleteMessageBatchRequestEntry',
  'ChangeMessageVisibilityBatchRequestEntry',
];

function normalize(tree: Tree, topLevel: boolean): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const consumed = new Set<string>();
  for (const [jsonName, { names, key, value }] of Object.entries(MAPS)) {
    for (const name of names) {
      if (tree[name] === undefined) continue;
      input[jsonName] = { ...((input[jsonName] as object) ?? {}), ...mapOf(tree[name], key, value) };
      consumed.add(name);
    }
  }
  for (const [jsonName, names] of Object.entries(LISTS)) {
    for (const name of names) {
      if (tree[name] === undefined) continue;
      input[jsonName] = [...((input[jsonName] as unknown[]) ?? []), ...listOf(tree[name]).map(text)];
      consumed.add(name);
    }
  }
  if (topLevel) {
    for (const name of ENTRY_LISTS) {
      if (tree[name] === undefined) continue;
      input.Entries = listOf(tree[name]).map((entry) =>
        typeof entry === 'object' ? normalize(entry, false) : entry,
      );
      consumed.add(name);
    }
  }
  for (const [name, value] of Object.entries(tree)) {
    if (!consumed.has(name) && typeof value === 'string') input[name] = value;
  }
  return input;
}

/** The action named by `Action=` and its input in the JSON protocol's shape. */
export function readQueryInput(params: URLSearchParams): { action: string; input: Record<string, unknown> } {
  const input = normalize(treeOf(params), true);
  const action = typeof input.Action === 'string' ? input.Action : '';
  delete input.Action;
  delete input.Version;
  return { action, input };
}
