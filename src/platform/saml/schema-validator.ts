import { readFileSync } from 'node:fs';
import {
  ParseOption,
  XmlBufferInputProvider,
  XmlDocument,
  XsdValidator,
  xmlRegisterInputProvider,
} from 'libxml2-wasm';

/**
 * The SAML 2.0 schema check samlify runs on every message it reads (`samlify.setSchemaValidator`).
 *
 * The schemas (SAML protocol and assertion, XML Signature, XML Encryption, as OASIS and the W3C
 * publish them) are compiled once, when this module loads, into one libxml2 validator that every
 * message then goes through: a message costs a parse and a validation, and no memory outlives it.
 * The schema imports are served from memory under the names below; the parser loads nothing else
 * (no DTDs, no external entities, no network).
 */

const SCHEMAS = [
  'saml-schema-protocol-2.0.xsd',
  'saml-schema-assertion-2.0.xsd',
  'xmldsig-core-schema.xsd',
  'xenc-schema.xsd',
] as const;
const PREFIX = 'edugate-saml-schema:/';
const PARSE = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

function compile(): XsdValidator {
  const files: Record<string, Uint8Array> = {};
  for (const name of SCHEMAS)
    files[PREFIX + name] = readFileSync(new URL(`./schemas/${name}`, import.meta.url));
  xmlRegisterInputProvider(new XmlBufferInputProvider(files));
  const root = XmlDocument.fromBuffer(files[PREFIX + SCHEMAS[0]] as Uint8Array, {
    url: PREFIX + SCHEMAS[0],
    option: PARSE,
  });
  try {
    return XsdValidator.fromDoc(root);
  } finally {
    root.dispose();
  }
}

const validator = compile();

/** Whether `xml` is a SAML 2.0 protocol message that the schemas accept. */
export function isSchemaValid(xml: string): boolean {
  let doc: XmlDocument | undefined;
  try {
    doc = XmlDocument.fromString(xml, { option: PARSE });
    validator.validate(doc);
    return true;
  } catch {
    return false;
  } finally {
    doc?.dispose();
  }
}

/** samlify's validator contract: resolves when the message is schema-valid, rejects otherwise. */
export const samlSchemaValidator = {
  validate(xml: string): Promise<string> {
    return isSchemaValid(xml)
      ? Promise.resolve('SUCCESS_VALIDATE_XML')
      : Promise.reject(new Error('ERR_EXCEPTION_VALIDATE_XML'));
  },
};
