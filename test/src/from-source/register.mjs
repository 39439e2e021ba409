// `node --import tsx --import ./test/src/from-source/register.mjs …`: workspace imports load from src/.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
