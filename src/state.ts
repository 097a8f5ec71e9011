// The engine that init() loaded and the module class and functional API run on.
import { Engine } from './engine.js';

let active: Engine | null = null;

export function currentEngine(): Engine | null {
  return active;
}

export function setEngine(engine: Engine): void {
  active = engine;
}
