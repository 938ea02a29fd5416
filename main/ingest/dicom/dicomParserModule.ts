// dicom-parser ships a UMD bundle; a default import gives its exports object in Node and bundlers alike.
import dicomParserModule from 'dicom-parser';
import type * as DicomParserTypes from 'dicom-parser';

export type DataSet = DicomParserTypes.DataSet;
export type Element = DicomParserTypes.Element;
export type Fragment = DicomParserTypes.Fragment;

export const dicomParser = dicomParserModule as unknown as typeof DicomParserTypes;
