import { consolePath, html } from './html.ts';

// Called through another name, so that prettier leaves these templates' whitespace as written.
const tag = html;

test('every interpolated value is escaped, in text and in attributes', () => {
  const name = `<script>alert("x")</script> & 'friends'`;
  expect(tag`<td title="${name}">${name}</td>`.text).toBe(
    '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;">' +
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;friends&#39;</td>',
  );
});

test('fragments built with the tag are kept, lists are joined, nothing-values vanish', () => {
  const rows = ['a<b', 'c'].map((cell) => tag`<li>${cell}</li>`);
  expect(tag`<ul>${rows}</ul>${null}${undefined}${false}${0}`.text).toBe(
    '<ul><li>a&lt;b</li><li>c</li></ul>0',
  );
});

test('console paths encode each segment, so an id cannot leave its place in the URL', () => {
  expect(consolePath(['tenants', '../x?y'], { cursor: 'a b', search: undefined })).toBe(
    '/admin/tenants/..%2Fx%3Fy?cursor=a+b',
  );
});
