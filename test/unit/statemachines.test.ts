import { existsSync, readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { aslText, substitutionKey, tasksOf, toAsl } from '../../functions/workflows/definition.js';
import { WORKFLOWS, aslFile, type WorkflowId } from '../../functions/workflows/registry.js';
import { TASKS } from '../../functions/workflows/tasks.js';

const fakeArn = (task: string) => `arn:aws:lambda:us-east-1:123456789012:function:strata-${task}`;

describe.each(Object.keys(WORKFLOWS) as WorkflowId[])('statemachines: %s', (id) => {
  const def = WORKFLOWS[id];
  const text = readFileSync(aslFile(id), 'utf8');

  it('is committed exactly as its definition generates it (npm run statemachines)', () => {
    expect(text).toBe(aslText(def));
  });

  it('is valid Amazon States Language once its substitutions are made', async () => {
    let substituted = text;
    for (const task of tasksOf(def)) substituted = substituted.replaceAll(`\${${substitutionKey(task)}}`, fakeArn(task));
    expect(substituted).not.toMatch(/\$\{[A-Za-z]+\}/);
    const { isValid, errors } = await aslValidator(JSON.parse(substituted));
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('uses only tasks of the registry, each a handler file that exists', () => {
    const used = [...text.matchAll(/\$\{(\w+)FunctionArn\}/g)].map((m) => m[1]!);
    expect(new Set(used)).toEqual(new Set(tasksOf(def)));
    for (const task of tasksOf(def)) expect(existsSync(TASKS[task].entry), task).toBe(true);
  });

  it('never fails: every Task catches everything and goes back to a wait; every step can stop, block, continue or back off', () => {
    const asl = toAsl(def) as { States: Record<string, { Type: string; Catch?: { ErrorEquals: string[]; Next: string }[]; Choices?: { StringEquals: string; Next: string }[]; Default?: string }> };
    expect(Object.values(asl.States).some((s) => s.Type === 'Fail')).toBe(false);
    for (const [name, state] of Object.entries(asl.States).filter(([, s]) => s.Type === 'Task')) {
      expect(state.Catch?.[0]?.ErrorEquals, name).toEqual(['States.ALL']);
      expect(asl.States[state.Catch![0]!.Next]!.Type, name).toBe('Wait');
    }
    for (const [name, state] of Object.entries(asl.States).filter(([, s]) => s.Type === 'Choice')) {
      expect(Object.fromEntries(state.Choices!.map((c) => [c.StringEquals, asl.States[c.Next]!.Type])), name).toMatchObject({ stop: 'Succeed', blocked: 'Succeed', continue: 'Task' });
      expect(asl.States[state.Default!]!.Type, name).toBe('Wait');
    }
  });
});

describe('workflow definitions', () => {
  it('write the repeated group once: a task step is four states, whatever the workflow', () => {
    const asl = toAsl(WORKFLOWS.provision) as { States: Record<string, unknown> };
    const taskSteps = WORKFLOWS.provision.steps.filter((s) => s.kind === 'task').length;
    // Each task step: Task, Outcome, Backoff, AfterError; then ContinueAsNew (+ its wait) and four ends.
    expect(Object.keys(asl.States)).toHaveLength(taskSteps * 4 + 2 + 4);
  });

  it('refuse a workflow that starts with a wait, or repeats a state name', () => {
    expect(() => toAsl({ ...WORKFLOWS.delete, steps: [{ kind: 'wait', state: 'W', seconds: 1, comment: '' }] })).toThrow(/first step/);
    const [first] = WORKFLOWS.delete.steps;
    expect(() => toAsl({ ...WORKFLOWS.delete, steps: [first!, first!] })).toThrow(/repeat/);
  });
});
