/**
 * Writes tests/fixtures/formats/torch-save-sample.pt with our writer, for check_torch_save.py:
 *
 *   npx tsx tools/formats/write-torch-save-sample.ts && /usr/bin/python3 tools/formats/check_torch_save.py
 */
import { writeFileSync } from 'node:fs';
import { writeTorchStateDict } from '../../src/lens/formats/torch-save.ts';
import { torchSaveSample } from './torch-save-sample.ts';

const path = 'tests/fixtures/formats/torch-save-sample.pt';
const bytes = writeTorchStateDict(torchSaveSample());
writeFileSync(path, bytes);
console.log(`wrote ${path} (${bytes.byteLength} bytes)`);
