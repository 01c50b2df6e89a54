import avro from 'avsc';

interface RecordField {
  readonly name: string;
  readonly type: avro.Type;
  readonly defaultValue: () => unknown;
}

function fieldsOf(type: avro.Type): readonly RecordField[] | undefined {
  return type instanceof avro.types.RecordType ? (type.fields as unknown as RecordField[]) : undefined;
}

function canRead(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Why data written with `writer` cannot be read with `reader` (BACKWARD
 * compatibility: the new schema reads the old one's data), one line per field,
 * each naming the field by its path. Empty when it can.
 */
export function backwardBreaks(readerDefinition: string, writerDefinition: string): string[] {
  const reader = avro.Type.forSchema(JSON.parse(readerDefinition));
  const writer = avro.Type.forSchema(JSON.parse(writerDefinition));
  const breaks: string[] = [];
  const walk = (r: avro.Type, w: avro.Type, path: string) => {
    const problem = canRead(r, w);
    if (problem === undefined) return;
    const readerFields = fieldsOf(r);
    const writerFields = fieldsOf(w);
    if (!readerFields || !writerFields) {
      breaks.push(`field ${path || '(the record)'}: ${problem}`);
      return;
    }
    const before = breaks.length;
    for (const field of readerFields) {
      const written = writerFields.find((candidate) => candidate.name === field.name);
      const at = path ? `${path}.${field.name}` : field.name;
      if (!written) {
        if (field.defaultValue() === undefined) breaks.push(`field ${at}: added without a default`);
        continue;
      }
      const items = (type: avro.Type) =>
        type instanceof avro.types.ArrayType ? (type.itemsType as avro.Type) : undefined;
      const [readerItems, writerItems] = [items(field.type), items(written.type)];
      if (readerItems && writerItems) walk(readerItems, writerItems, `${at}[]`);
      else walk(field.type, written.type, at);
    }
    // Renamed records or aliases: nothing field-level to name, so report the record.
    if (breaks.length === before) breaks.push(`field ${path || '(the record)'}: ${problem}`);
  };
  walk(reader, writer, '');
  return breaks;
}
