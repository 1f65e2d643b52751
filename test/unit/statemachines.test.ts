import { existsSync, readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { TASKS, WORKFLOWS, substitutionKey, type TaskName } from '../../functions/tasks/registry.js';

const load = (file: string) => readFileSync(file, 'utf8');
const fakeArn = (task: string) => `arn:aws:lambda:us-east-1:123456789012:function:strata-${task}`;

describe.each(Object.entries(WORKFLOWS))('statemachines: %s', (_name, wf) => {
  const text = load(wf.definition);

  it('is valid Amazon States Language once its substitutions are made', async () => {
    let substituted = text;
    for (const task of wf.tasks) substituted = substituted.replaceAll(`\${${substitutionKey(task)}}`, fakeArn(task));
    expect(substituted).not.toMatch(/\$\{[A-Za-z]+\}/);
    const { isValid, errors } = await aslValidator(JSON.parse(substituted));
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('uses only tasks it declares, each a handler file that exists', () => {
    const used = [...text.matchAll(/\$\{(\w+)FunctionArn\}/g)].map((m) => m[1] as TaskName);
    expect(new Set(used)).toEqual(new Set(wf.tasks));
    for (const task of wf.tasks) expect(existsSync(TASKS[task]), TASKS[task]).toBe(true);
  });

  it('never fails: every Task catches everything and goes back to a wait', () => {
    const def = JSON.parse(text) as { States: Record<string, { Type: string; Catch?: { ErrorEquals: string[]; Next: string }[] }> };
    expect(Object.values(def.States).some((s) => s.Type === 'Fail')).toBe(false);
    for (const [name, state] of Object.entries(def.States).filter(([, s]) => s.Type === 'Task')) {
      expect(state.Catch?.[0]?.ErrorEquals, name).toEqual(['States.ALL']);
      expect(def.States[state.Catch![0]!.Next]!.Type, name).toBe('Wait');
    }
  });
});
