/**
 * Region, metadata item and parent locator type GUIDs, as the text our
 * `guid` struct fields decode to (Microsoft mixed-endian binary form).
 * Reference: MS-VHDX §2.2.3.2, §2.6.2, §2.6.2.6.3.
 */
export const BAT_REGION_GUID = '2dc27766-f623-4200-9d64-115e9bfd4a08';
export const METADATA_REGION_GUID = '8b7ca206-4790-4b9a-b8fe-575f050f886e';

export const FILE_PARAMETERS_GUID = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b';
export const VIRTUAL_DISK_SIZE_GUID = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
export const VIRTUAL_DISK_ID_GUID = 'beca12ab-b2e6-4523-93ef-c309e000c746';
export const LOGICAL_SECTOR_SIZE_GUID = '8141bf1d-a96f-4709-ba47-f233a8faab5f';
export const PHYSICAL_SECTOR_SIZE_GUID = 'cda348c7-445d-4471-9cc9-e9885251c556';
export const PARENT_LOCATOR_GUID = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c';

export const VHDX_PARENT_LOCATOR_TYPE_GUID = 'b04aefb7-d19e-4a81-b789-25b8e9445913';

export const NULL_GUID_TEXT = '00000000-0000-0000-0000-000000000000';
