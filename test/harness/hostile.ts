// Hostile values for quoting tests: each, if it reached a shell unquoted, would create `canary`.
export function hostileValues(canary: string): string[] {
  return [
    '',
    ' ',
    'plain',
    'with space',
    "it's",
    "''",
    '"double"',
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `; touch ${canary}`,
    `&& touch ${canary} #`,
    `| touch ${canary}`,
    `a\ntouch ${canary}\n`,
    '$HOME ${HOME} $((1+1))',
    '\\ backslash \\\\',
    '*',
    '~',
    '-n',
    '--',
    'tab\there',
    'ünïcødé ✓ 日本',
    `'; touch ${canary}; echo '`,
    '\r\n\x01\x7f',
  ];
}
