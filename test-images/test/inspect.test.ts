import { describe, expect, it } from 'vitest';
import { countRuns, hasAttributeList } from '../src/ntfs/inspect.js';

const ISTAT = `Attributes: 
Type: $STANDARD_INFORMATION (16-0)   Name: N/A   Resident   size: 72
Type: $DATA (128-1)   Name: N/A   Non-Resident   size: 40960  init_size: 40960
100 101 102 103 200 201 202 203 
204 300 
Type: $DATA (128-3)   Name: big   Non-Resident   size: 8192  init_size: 8192
500 501 
`;

describe('istat parsing', () => {
  it('counts contiguous runs of the unnamed $DATA only', () => {
    expect(countRuns(ISTAT)).toBe(3);
    expect(countRuns('Type: $DATA (128-1)   Name: N/A   Resident   size: 3')).toBe(0);
  });

  it('spots an $ATTRIBUTE_LIST', () => {
    expect(hasAttributeList(ISTAT)).toBe(false);
    expect(hasAttributeList('Type: $ATTRIBUTE_LIST (32-5)   Name: N/A   Non-Resident   size: 1376')).toBe(true);
  });
});
